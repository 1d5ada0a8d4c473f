import type { NextRequest } from 'next/server';
import { queryApi } from '../../../lib/api';
import type { Suggestion } from '../../../lib/types';

/** The search box's suggestions: query-api's, passed through (the browser never calls the APIs itself). */
export async function GET(request: NextRequest): Promise<Response> {
  const q = (request.nextUrl.searchParams.get('q') ?? '').trim().slice(0, 100);
  if (q.length === 0) return Response.json({ suggestions: [] });
  const result = await queryApi<{ suggestions: Suggestion[] }>(
    `/api/v1/products/suggestions?q=${encodeURIComponent(q)}`,
    { consistency: null },
  );
  return Response.json(
    { suggestions: result.ok ? result.data.suggestions.slice(0, 8) : [] },
    { headers: { 'cache-control': 'private, max-age=30' } },
  );
}

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { BODY_LIMIT_BYTES } from '@tally/platform';
import { errorCodes, type RawServerDefault } from 'fastify';

/**
 * Request bodies are JSON only, and an empty one counts as absent. Routes in `rawBodyRoutes` (payment
 * webhooks) get the body as the raw bytes instead, unparsed: their signature covers exactly those bytes,
 * which a parsed and re-serialised body would no longer match. The 100 kB limit holds for both.
 *
 * - Clients often send `Content-Type: application/json` on a POST without a body (`/publish`,
 *   `POST /carts`); Fastify would reject that as malformed JSON. The body schema decides instead: an
 *   endpoint without a body accepts it, one with a required body names `(body)` as required.
 * - Fastify parses `text/plain` and Nest form bodies by default; a command body in any type but JSON is a
 *   415 rather than a string or a form that fails validation in confusing ways.
 */
export function acceptJsonBodiesOnly(
  app: NestFastifyApplication,
  rawBodyRoutes: readonly string[] = [],
): void {
  const raw = new Set(rawBodyRoutes);
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('text/plain');
  app.useBodyParser<RawServerDefault>(
    'application/json',
    { bodyLimit: BODY_LIMIT_BYTES },
    (request, body, done) => {
      // Routing precedes body parsing in Fastify, so the matched route is known here.
      if (raw.has(request.routeOptions.url ?? '')) {
        done(null, body);
        return;
      }
      const text = body.toString('utf8');
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      void parseJson(request, text, done);
    },
  );
  app.useBodyParser(
    'application/x-www-form-urlencoded',
    { bodyLimit: BODY_LIMIT_BYTES },
    (_request, _body, done) => {
      done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('application/x-www-form-urlencoded'), undefined);
    },
  );
}

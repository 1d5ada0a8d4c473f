'use server';

import { redirect } from 'next/navigation';
import { AUDITOR_ROLE, signCheckpoint, verifyNow } from '../../../lib/audit';
import { CSRF_FAILED_MESSAGE, verifyCsrf } from '../../../lib/csrf';
import { problemMessage } from '../../../lib/api';
import { getSession } from '../../../lib/session';

/**
 * The integrity page's Server Actions: check the CSRF token and the role, ask the projectors app, and go
 * back to the page with what happened in the URL (the page then reads the new status from query-api).
 */

const BACK = '/audit/integrity';

function back(params: Readonly<Record<string, string>>): never {
  redirect(`${BACK}?${new URLSearchParams(params).toString()}`);
}

/** CSRF and role first: nothing is sent for a forged or stale form, or for an account without the role. */
async function guard(form: FormData): Promise<void> {
  if (!(await verifyCsrf(form))) back({ error: CSRF_FAILED_MESSAGE });
  const session = await getSession();
  if (session.kind !== 'account') redirect(`/account/sign-in?next=${encodeURIComponent(BACK)}`);
  if (session.role !== AUDITOR_ROLE) redirect(BACK);
}

/** "Sign a checkpoint now": a Merkle root over the log as it is, signed with the configured key. */
export async function signCheckpointNow(form: FormData): Promise<void> {
  await guard(form);
  const signed = await signCheckpoint();
  if (!signed.ok) back({ error: `The checkpoint was not signed: ${problemMessage(signed.problem)}` });
  back({ notice: `Checkpoint ${signed.data.sequence} signed over ${signed.data.leafCount} events.` });
}

/** "Verify now": every hash chain and checkpoint root recomputed; the outcome is on the page after. */
export async function verifyIntegrityNow(form: FormData): Promise<void> {
  await guard(form);
  const report = await verifyNow();
  if (!report.ok) back({ error: `The verification did not run: ${problemMessage(report.problem)}` });
  const { ok, eventsChecked, streamsChecked, breaks } = report.data;
  if (ok)
    back({ notice: `Verified: ${eventsChecked} events in ${streamsChecked} streams, no broken links.` });
  back({
    error: `Broken: ${breaks.length} ${breaks.length === 1 ? 'stream has' : 'streams have'} a broken link (${eventsChecked} events checked).`,
  });
}

import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * An email address as accounts are keyed by it: trimmed and lower-cased (the local part is case-sensitive
 * by RFC 5321, but no mailbox provider in practice treats it so, and two accounts differing only in case
 * would confuse people).
 */
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be an email address like name@example.com'))
  .meta({ format: 'email', example: 'ada@example.com' });

/** SHA-256 hex of a normalised email: names its reservation stream and its sign-in attempt counter. */
export function emailDigest(normalisedEmail: string): string {
  return createHash('sha256').update(normalisedEmail, 'utf8').digest('hex');
}

/** SHA-256 base64url of a secret token (refresh token, reset token): what is stored instead of it. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

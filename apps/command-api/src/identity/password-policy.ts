import { HttpProblem } from '@tally/platform';
import { COMMON_PASSWORDS } from './common-passwords';

/** Password length bounds (NIST SP 800-63B: at least 8, allow at least 64; we ask 12 and cap at 128). */
export const PASSWORD_LENGTH = { min: 12, max: 128 } as const;

/**
 * Why `password` is too weak for the account with `email`, or null when it is acceptable. The rules follow
 * NIST SP 800-63B: length, no known-breached password, nothing derived from the account itself; no
 * composition rules (they push users to predictable patterns).
 */
export function passwordWeakness(password: string, email: string): string | null {
  // Counted in code points, as people count characters (an emoji is one).
  const length = Array.from(password).length;
  if (length < PASSWORD_LENGTH.min) return `must be at least ${PASSWORD_LENGTH.min} characters`;
  if (length > PASSWORD_LENGTH.max) return `must be at most ${PASSWORD_LENGTH.max} characters`;
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return 'is one of the most common passwords found in data breaches';
  if (new Set(lower).size === 1) return 'must not repeat one character';
  const localPart = email.toLowerCase().split('@')[0] ?? '';
  // Very short local parts ("a@…") would reject half the dictionary; those say nothing about the account.
  if (localPart.length >= 3 && lower.includes(localPart)) return 'must not contain your email address';
  return null;
}

/** A 400 naming `body.password` when the password is too weak; nothing otherwise. */
export function assertStrongPassword(password: string, email: string): void {
  const weakness = passwordWeakness(password, email);
  if (weakness === null) return;
  throw new HttpProblem(400, 'WEAK_PASSWORD', 'Weak password', `The password ${weakness}.`, [
    { field: 'password', message: weakness },
  ]);
}

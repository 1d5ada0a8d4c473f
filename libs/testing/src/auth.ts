import { randomUUID } from 'node:crypto';
import { type AccountRole, signAccessToken } from '@tally/platform';

/** The auth secret every test process and in-process app shares (tests mint tokens with it). */
export const TEST_AUTH_SECRET = 'tally-test-auth-secret-0123456789abcdef';

/**
 * A valid access token for a fresh account of `role` (or the given id): what tests send as
 * `Authorization: Bearer` to act as an admin or a particular customer without signing up first.
 */
export function testAccessToken(
  role: AccountRole,
  id: string = randomUUID(),
  secret = TEST_AUTH_SECRET,
): string {
  return signAccessToken({ sub: id, role, email: `${role}-${id}@example.test` }, secret, new Date());
}

/** `{ authorization: 'Bearer …' }` for {@link testAccessToken}. */
export function authHeader(role: AccountRole, id?: string): { authorization: string } {
  return { authorization: `Bearer ${testAccessToken(role, id)}` };
}

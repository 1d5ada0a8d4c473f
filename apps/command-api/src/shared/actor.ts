import type { Actor } from '@tally/domain';
import { actorOf, principalOf } from '@tally/platform';
import type { FastifyRequest } from 'fastify';

/**
 * Who issued a request: the principal the global roles guard verified (a guest without an access token).
 * The one place the actor is resolved: every command, event and idempotency key picks it up from here.
 */
export function resolveActor(request: FastifyRequest): Actor {
  return actorOf(principalOf(request));
}

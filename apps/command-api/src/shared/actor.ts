import type { Actor } from '@tally/domain';
import type { FastifyRequest } from 'fastify';

/**
 * Who issued a request. The one place identity is resolved: there is no authentication yet, so everyone is
 * an anonymous guest. When identity arrives, this function reads the verified principal instead and every
 * command, event and idempotency key picks it up from here.
 */
export function resolveActor(_request: FastifyRequest): Actor {
  return { id: 'anonymous', role: 'guest' };
}

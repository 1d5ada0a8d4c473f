import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HttpProblem } from '../http/problem';
import { LOGGER } from '../tokens';
import type { Logger } from '../logging/logger';
import {
  GUEST,
  type Principal,
  principalFromRequest,
  type RequestHeaders,
  type RouteRole,
} from './principal';

/** Injection token: the HMAC secret tokens are signed with (`TALLY_AUTH_SECRET`, or embedded mode's own). */
export const AUTH_SECRET = Symbol('AUTH_SECRET');

const ROLES_KEY = 'tally:roles';

/**
 * Who may call a route (or every route of a controller). `guest` admits anyone, signed in or not; otherwise
 * the access token's role must be listed. A route without `@Roles` is refused: access is never open by
 * accident.
 */
export const Roles = (...roles: [RouteRole, ...RouteRole[]]) => SetMetadata(ROLES_KEY, roles);

const IGNORES_ACCESS_TOKEN_KEY = 'tally:ignoresAccessToken';

/**
 * For routes that establish identity rather than act on it (sign-in, refresh, sign-out): an expired or
 * invalid access token sent along is ignored and the caller is a guest, so a client holding a stale token
 * can still refresh or sign in again instead of being told to do exactly that.
 */
export const IgnoresAccessToken = () => SetMetadata(IGNORES_ACCESS_TOKEN_KEY, true);

/** The roles a handler (or its controller) admits, for tests that check every route declares them. */
export function declaredRoles(
  reflector: Reflector,
  handler: ReflectionTarget,
  controller: ReflectionTarget,
): readonly RouteRole[] | undefined {
  return reflector.getAllAndOverride<RouteRole[] | undefined, string>(ROLES_KEY, [handler, controller]);
}

type ReflectionTarget = Parameters<Reflector['getAllAndOverride']>[1][number];

type WithPrincipal = RequestHeaders & { principal?: Principal };

/** The principal the guard verified for this request (a guest when the route admits guests and none signed in). */
export function principalOf(request: object): Principal {
  return (request as WithPrincipal).principal ?? GUEST;
}

/**
 * The one guard in front of every HTTP route of every app: verifies the access token, then enforces the
 * route's `@Roles`. Messages over NATS (process managers' commands) come from inside the deployment and
 * pass; they carry their own actor.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_SECRET) private readonly secret: string,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const roles = declaredRoles(this.reflector, context.getHandler(), context.getClass());
    const request = context.switchToHttp().getRequest<WithPrincipal>();
    if (roles === undefined) {
      this.logger.error(
        { route: `${context.getClass().name}.${context.getHandler().name}` },
        'route declares no @Roles; refused',
      );
      throw new HttpProblem(403, 'FORBIDDEN', 'Forbidden', 'This route is not open to anyone.');
    }
    const principal = this.reflector.getAllAndOverride<boolean | undefined, string>(
      IGNORES_ACCESS_TOKEN_KEY,
      [context.getHandler(), context.getClass()],
    )
      ? GUEST
      : principalFromRequest(request, this.secret, new Date());
    request.principal = principal;
    if (roles.includes('guest')) return true;
    if (principal.kind === 'guest') {
      throw new HttpProblem(
        401,
        'AUTHENTICATION_REQUIRED',
        'Unauthorized',
        'Sign in to do this.',
        undefined,
        {
          'www-authenticate': 'Bearer',
        },
      );
    }
    if (!roles.includes(principal.role)) {
      throw new HttpProblem(
        403,
        'FORBIDDEN',
        'Forbidden',
        `This needs the role ${roles.join(' or ')}; you are signed in as ${principal.role}.`,
      );
    }
    return true;
  }
}

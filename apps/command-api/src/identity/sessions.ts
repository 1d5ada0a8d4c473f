import { Inject, Injectable } from '@nestjs/common';
import type { Actor, RegisteredCustomer } from '@tally/domain';
import {
  ACCESS_COOKIE,
  ACCESS_TOKEN_TTL_SECONDS,
  APP_CONFIG,
  type AppConfig,
  AUTH_SECRET,
  HttpProblem,
  LOGGER,
  type Logger,
  principalOf,
  REFRESH_COOKIE,
  serializeCookie,
  signAccessToken,
  uuidv7,
} from '@tally/platform';
import type { FastifyRequest } from 'fastify';
import { cartTokenCookie, clearedCartTokenCookie } from '../cart/cart-cookie';
import { CartMerger } from '../cart/cart-merger';
import type { Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-edge';
import { isDomainError } from '../shared/domain-error-fields';
import { REFRESH_TOKEN_TTL_SECONDS, RefreshTokens } from './refresh-tokens';

/** The refresh cookie is only sent to the auth routes, never to every API call. */
export const REFRESH_COOKIE_PATH = '/api/v1/auth';

/** What a sign-in, sign-up or refresh answers (besides the cookies). */
export type SessionBody = {
  readonly customerId: string;
  readonly email: string;
  readonly name: string;
  readonly role: RegisteredCustomer['role'];
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
};

/** A session just opened: its body, its cookies, and the cart the guest cart was merged into. */
export interface OpenedSession {
  readonly body: SessionBody & { readonly cartId: string | null };
  readonly cookies: readonly string[];
  /** The merge's checkpoint when a cart was merged (for Tally-Consistency). */
  readonly checkpoint: string | undefined;
}

/**
 * Issues sessions: a 15-minute access token (role and email read from the account's stream now, so a role
 * change takes effect at the next refresh) and a refresh token, as body fields and httpOnly cookies.
 */
@Injectable()
export class Sessions {
  constructor(
    private readonly refreshTokens: RefreshTokens,
    private readonly carts: CartMerger,
    @Inject(AUTH_SECRET) private readonly secret: string,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private get secure(): boolean {
    return this.config.NODE_ENV === 'production';
  }

  /** Tokens for `customer`: a new refresh family, or the next token of `familyId` (rotation). */
  async issue(
    customer: RegisteredCustomer,
    now: Date,
    familyId?: string,
  ): Promise<{ body: SessionBody; cookies: string[] }> {
    const accessToken = signAccessToken(
      { sub: customer.customerId, role: customer.role, email: customer.email },
      this.secret,
      now,
    );
    const refresh = await this.refreshTokens.issue(customer.customerId, now, familyId ?? uuidv7());
    return {
      body: {
        customerId: customer.customerId,
        email: customer.email,
        name: customer.name,
        role: customer.role,
        accessToken,
        refreshToken: refresh.token,
        expiresIn: ACCESS_TOKEN_TTL_SECONDS,
      },
      cookies: [
        serializeCookie(ACCESS_COOKIE, accessToken, {
          maxAgeSeconds: ACCESS_TOKEN_TTL_SECONDS,
          secure: this.secure,
        }),
        serializeCookie(REFRESH_COOKIE, refresh.token, {
          maxAgeSeconds: REFRESH_TOKEN_TTL_SECONDS,
          secure: this.secure,
          path: REFRESH_COOKIE_PATH,
        }),
      ],
    };
  }

  /**
   * Opens a session after sign-in or sign-up and merges the guest cart the request carried, if any, into the
   * customer's cart (the merge is recorded as the customer's act). A guest cart that cannot be merged (gone,
   * already checked out) does not fail the sign-in: the customer simply has no merged cart.
   */
  async open(
    customer: RegisteredCustomer,
    guestCartId: string | undefined,
    context: CommandContext,
    clock: Clock,
  ): Promise<OpenedSession> {
    const { body, cookies } = await this.issue(customer, clock.now());
    let cartId: string | null = null;
    let checkpoint: string | undefined;
    if (guestCartId !== undefined) {
      const actor: Actor = { id: customer.customerId, role: customer.role };
      try {
        const merged = await this.carts.merge(
          { guestCartId, customerId: customer.customerId },
          {
            ...context,
            metadata: { ...context.metadata, actor },
            principal: {
              kind: 'account',
              id: customer.customerId,
              role: customer.role,
              email: customer.email,
            },
          },
        );
        cartId = merged.cartId;
        checkpoint = merged.checkpoint;
        cookies.push(cartTokenCookie(cartId, this.secret, this.config).setCookie);
      } catch (error) {
        if (!isDomainError(error) && !(error instanceof HttpProblem && error.status < 500)) throw error;
        this.logger.warn(
          { err: error, guestCartId, customerId: customer.customerId },
          'guest cart not merged',
        );
      }
    }
    return { body: { ...body, cartId }, cookies, checkpoint };
  }

  /**
   * Cookies that delete the access, refresh and cart cookies: after signing out, the cart (the customer's
   * merged cart) is no longer reachable from this browser.
   */
  clearingCookies(): string[] {
    return [
      serializeCookie(ACCESS_COOKIE, '', { maxAgeSeconds: 0, secure: this.secure }),
      serializeCookie(REFRESH_COOKIE, '', {
        maxAgeSeconds: 0,
        secure: this.secure,
        path: REFRESH_COOKIE_PATH,
      }),
      clearedCartTokenCookie(this.config),
    ];
  }
}

/** The metadata of a command a route runs without the command edge (no events of its own, or a 204). */
export function commandContextOf(request: FastifyRequest, actor: Actor, clock: Clock): CommandContext {
  return {
    metadata: {
      commandId: uuidv7(),
      correlationId: request.id,
      causationId: request.id,
      actor,
      occurredAt: clock.now().toISOString(),
    },
    expectedVersion: undefined,
    consistencyToken: undefined,
    principal: principalOf(request),
  };
}

import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { customerStreamId } from '@tally/domain';
import {
  AUTH_SECRET,
  cartTokenFromRequest,
  HttpProblem,
  IgnoresAccessToken,
  parseCookies,
  parseRequest,
  REFRESH_COOKIE,
  Roles,
} from '@tally/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommandEdge } from '../shared/command-edge';
import { CLOCK, type Clock } from '../shared/clock';
import { Accounts } from './accounts';
import {
  passwordResetBody,
  passwordResetConfirmBody,
  refreshBody,
  signInBody,
  signUpBody,
} from './auth.schemas';
import { emailDigest } from './email';
import { PasswordHasher } from './password-hasher';
import { assertStrongPassword } from './password-policy';
import { customerIdOfResetToken, PasswordResets, resetTokenInvalid } from './password-resets';
import { RefreshTokens, refreshTokenInvalid } from './refresh-tokens';
import { commandContextOf, Sessions } from './sessions';
import { attemptKeys, SignInLimiter } from './sign-in-limiter';

const GUEST_ACTOR = { id: 'anonymous', role: 'guest' } as const;
/** The nil UUID: never an account's id (ids are UUID v7). */
const NO_ACCOUNT = '00000000-0000-0000-0000-000000000000';

function invalidCredentials(): HttpProblem {
  return new HttpProblem(401, 'INVALID_CREDENTIALS', 'Unauthorized', 'The email or password is not correct.');
}

/**
 * Sign-up, sign-in, refresh, sign-out and password reset: `/api/v1/auth`. Open to everyone (`guest`).
 * Routes that may append events (sign-up; sign-in through the cart merge) run through the command edge.
 * Their answers carry tokens, so the edge never stores them for an `Idempotency-Key` replay: a retry runs
 * again and its command id makes the effects happen once (see `CommandEdge`).
 */
@Controller('api/v1/auth')
@Roles('guest')
// Signing in, refreshing and signing out must work for a client whose access token has gone stale.
@IgnoresAccessToken()
export class AuthController {
  constructor(
    private readonly edge: CommandEdge,
    private readonly accounts: Accounts,
    private readonly hasher: PasswordHasher,
    private readonly sessions: Sessions,
    private readonly refreshTokens: RefreshTokens,
    private readonly limiter: SignInLimiter,
    private readonly resets: PasswordResets,
    @Inject(AUTH_SECRET) private readonly secret: string,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('sign-up')
  signUp(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { email, password, name } = parseRequest(signUpBody, request.body, 'body');
      assertStrongPassword(password, email);
      // A tampered cart cookie is refused before anything is written.
      const guestCartId = cartTokenFromRequest(request, this.secret);
      const passwordHash = await this.hasher.hash(password);
      const { customerId, outcome } = await this.accounts.register(
        { email, name, role: 'customer', passwordHash },
        context,
      );
      const loaded = await this.accounts.load(customerId);
      if (!loaded) throw new Error(`customer ${customerId} was registered but cannot be read`);
      const session = await this.sessions.open(loaded.customer, guestCartId, context, this.clock);
      void reply.header('set-cookie', session.cookies);
      return {
        status: 201,
        body: session.body,
        outcome: { ...outcome, checkpoint: session.checkpoint ?? outcome.checkpoint },
      };
    });
  }

  /**
   * Unknown email and wrong password get the same 401 after the same work: an unknown email is verified
   * against a dummy hash. Failures count against the account and the IP; a success clears the account's.
   */
  @Post('sign-in')
  signIn(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { email, password } = parseRequest(signInBody, request.body, 'body');
      const guestCartId = cartTokenFromRequest(request, this.secret);
      const keys = attemptKeys(emailDigest(email), request.ip);
      await this.limiter.check(keys, this.clock.now());
      // The same reads for an unknown email (under an id no account has) as for a known one.
      const customerId = (await this.accounts.idForEmail(email)) ?? NO_ACCOUNT;
      const [loaded, hash] = await Promise.all([
        this.accounts.load(customerId),
        this.accounts.passwordHash(customerId),
      ]);
      const matches = await this.hasher.verify(hash ?? (await this.hasher.dummyHash()), password);
      if (!loaded || hash === null || !matches) {
        await this.limiter.failed(keys, this.clock.now());
        throw invalidCredentials();
      }
      await this.limiter.succeeded(keys);
      const session = await this.sessions.open(loaded.customer, guestCartId, context, this.clock);
      void reply.header('set-cookie', session.cookies);
      return {
        status: 200,
        body: session.body,
        outcome: {
          streamId: customerStreamId(loaded.customer.customerId),
          version: loaded.version,
          checkpoint: session.checkpoint ?? loaded.checkpoint,
          appended: 0,
        },
      };
    });
  }

  /** Rotation: the presented refresh token is spent and the next one of its family is issued. */
  @Post('refresh')
  @HttpCode(200)
  async refresh(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const token = refreshTokenOf(request);
    if (token === undefined) throw refreshTokenInvalid();
    const now = this.clock.now();
    const { customerId, familyId } = await this.refreshTokens.spend(token, now);
    const loaded = await this.accounts.load(customerId);
    if (!loaded) throw refreshTokenInvalid();
    const { body, cookies } = await this.sessions.issue(loaded.customer, now, familyId);
    void reply.header('set-cookie', cookies).header('cache-control', 'no-store');
    return body;
  }

  /** Revokes the session's refresh family (when the request names one) and clears the cookies. */
  @Post('sign-out')
  @HttpCode(204)
  async signOut(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const token = refreshTokenOf(request);
    if (token !== undefined) await this.refreshTokens.revokeFamilyOf(token, this.clock.now());
    void reply.header('set-cookie', this.sessions.clearingCookies());
  }

  /** Always 202, whether or not the email has an account; the mail goes out through the outbox. */
  @Post('password-reset')
  @HttpCode(202)
  requestPasswordReset(@Req() request: FastifyRequest): { message: string } {
    const { email } = parseRequest(passwordResetBody, request.body, 'body');
    this.resets.request(email, commandContextOf(request, GUEST_ACTOR, this.clock));
    return { message: 'If an account has this email, a link to reset its password is on its way.' };
  }

  /** Sets the new password and signs out every session of the account. */
  @Post('password-reset/confirm')
  @HttpCode(204)
  async confirmPasswordReset(@Req() request: FastifyRequest): Promise<void> {
    const { token, password } = parseRequest(passwordResetConfirmBody, request.body, 'body');
    const customerId = customerIdOfResetToken(token);
    const loaded = await this.accounts.load(customerId);
    if (!loaded) throw resetTokenInvalid();
    assertStrongPassword(password, loaded.customer.email);
    const passwordHash = await this.hasher.hash(password);
    const actor = { id: customerId, role: loaded.customer.role };
    await this.resets.confirm(token, passwordHash, customerId, commandContextOf(request, actor, this.clock));
    const now = this.clock.now();
    await this.refreshTokens.revokeCustomer(customerId, now);
    // Whoever locked the account out by guessing no longer keeps its owner out.
    await this.limiter.succeeded(attemptKeys(emailDigest(loaded.customer.email), request.ip));
  }
}

/** The refresh token from the body (API clients) or the `tally_refresh` cookie (browsers). */
function refreshTokenOf(request: FastifyRequest): string | undefined {
  const body = parseRequest(refreshBody, request.body ?? undefined, 'body');
  return body.refreshToken ?? parseCookies(request.headers.cookie).get(REFRESH_COOKIE) ?? undefined;
}

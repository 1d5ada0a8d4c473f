import { Inject, Injectable } from '@nestjs/common';
import type { CommandMetadata } from '@tally/domain';
import {
  AUTH_SECRET,
  cartTokenFromRequest,
  HttpProblem,
  LOGGER,
  type Logger,
  type Principal,
  principalOf,
  uuidv7,
} from '@tally/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { resolveActor } from './actor';
import { CLOCK, type Clock } from './clock';
import { etag, parseCommandHeaders } from './command-headers';
import type { CommandOutcome } from './decide.command';
import { deterministicCommandId, requestFingerprint } from './fingerprint';
import { IdempotencyStore, type StoredResponse } from './idempotency.store';

/** What a controller needs to build and run a command. */
export interface CommandContext {
  /** commandId, correlationId (= the request's correlation id), causationId, actor, occurredAt. */
  readonly metadata: CommandMetadata;
  /** From `If-Match`. */
  readonly expectedVersion: number | undefined;
  /** From `Tally-Consistency`: read models consulted while building the command must have passed it. */
  readonly consistencyToken: string | undefined;
  /**
   * Who is asking, as the roles guard verified it: what ownership checks (carts, orders) decide on.
   * Absent for commands the system issues itself (read as a guest, who owns nothing).
   */
  readonly principal?: Principal;
}

/**
 * A successful command response: status, JSON body, and the stream outcome that becomes its headers.
 * 202 when the command started work that finishes asynchronously (checkout places the order later).
 */
export interface CommandResponse {
  readonly status: 200 | 201 | 202;
  readonly body: Readonly<Record<string, unknown>>;
  readonly outcome: CommandOutcome;
  /** For 201 and 202: where the created (or coming) resource is read (query-api). */
  readonly location?: string;
  /** More response headers (the guest cart's `Set-Cookie`); replayed with the response. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Body fields that are credentials. A guest's response carrying one is never stored for replay (see
 * {@link CommandEdge}): the idempotency table would hold bearer secrets (refresh tokens are otherwise only
 * stored hashed), and a replay would hand them to whoever presents the key.
 */
const CREDENTIAL_FIELDS = ['cartToken', 'accessToken', 'refreshToken'] as const;

/**
 * Runs one command request at the HTTP edge: reads the command headers (`If-Match`, `Idempotency-Key`,
 * `Tally-Consistency`), builds the command metadata, honours the idempotency key, and sends the success
 * with `ETag` and `Tally-Consistency`. Errors propagate to the problem-details filter.
 *
 * An `Idempotency-Key` is only ever replayed to the caller who first used it, so keys live in a scope that
 * names that caller:
 * - a signed-in account: its id;
 * - a guest holding a valid cart token: that cart (`cart:<cartId>`), which only the token's holder reaches;
 * - a guest with no cart token (opening a cart, signing up or in): nobody, because nothing identifies them.
 *   Guests used to share one scope, so a second guest guessing a key (and an empty `POST /carts` body) was
 *   replayed the first guest's response, `cartToken` included. Such requests now bypass the store: the key
 *   only derives the command id (with the request's fingerprint, body included), so a retry that reaches a
 *   handler after a crash is still recognised by its command id, and a retried `POST /carts` opens another
 *   empty cart rather than handing out someone's.
 * On top of that, a guest's response carrying a credential ({@link CREDENTIAL_FIELDS}: sign-in, sign-up,
 * a guest cart's token) is never stored: its key is released and a retry runs again, relying on command ids
 * for exactly-once effects. No key length rule is needed: nothing of a guest's is ever replayed on a key
 * alone.
 */
@Injectable()
export class CommandEdge {
  constructor(
    private readonly idempotency: IdempotencyStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(AUTH_SECRET) private readonly secret: string,
  ) {}

  async run(
    request: FastifyRequest,
    reply: FastifyReply,
    work: (context: CommandContext) => Promise<CommandResponse>,
  ): Promise<void> {
    const headers = parseCommandHeaders(request.headers);
    const principal = principalOf(request);
    const actor = resolveActor(request);
    const key = headers.idempotencyKey;
    const scope = key === undefined ? undefined : this.idempotencyScope(request, principal);
    const fingerprint = requestFingerprint({
      method: request.method,
      url: request.url,
      body: request.body,
      ifMatch: headers.expectedVersion,
    });
    const context: CommandContext = {
      metadata: {
        commandId: key === undefined ? uuidv7() : deterministicCommandId(scope ?? actor.id, key, fingerprint),
        correlationId: request.id,
        // An HTTP command is caused by its request.
        causationId: request.id,
        actor,
        occurredAt: this.clock.now().toISOString(),
      },
      expectedVersion: headers.expectedVersion,
      consistencyToken: headers.consistencyToken,
      principal,
    };

    if (key === undefined || scope === undefined) {
      send(reply, toResponse(await work(context)));
      return;
    }

    const claim = await this.idempotency.claim(scope, key, fingerprint);
    switch (claim.kind) {
      case 'replay':
        send(reply, claim.response, { 'idempotent-replayed': 'true' });
        return;
      case 'in_progress':
        throw new HttpProblem(
          409,
          'IDEMPOTENCY_KEY_IN_PROGRESS',
          'Idempotency key in use',
          'A request with this Idempotency-Key is still running; retry it later.',
          [{ field: 'header.Idempotency-Key', message: 'its first request is still running' }],
          { 'retry-after': '1' },
        );
      case 'mismatch':
        throw new HttpProblem(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'Idempotency key reused',
          'This Idempotency-Key was used for a different request; use a new key for a new request.',
          [{ field: 'header.Idempotency-Key', message: 'was used for a different request' }],
        );
      case 'claimed':
        break;
    }

    let response: StoredResponse;
    try {
      response = toResponse(await work(context));
    } catch (error) {
      // Failures write no event, so the key is freed and a retry is decided afresh.
      await this.release(scope, key, claim.claimId, request);
      throw error;
    }
    if (principal.kind === 'guest' && carriesCredential(response.body)) {
      await this.release(scope, key, claim.claimId, request);
      send(reply, response);
      return;
    }
    try {
      await this.idempotency.complete(scope, key, claim.claimId, response);
    } catch (error) {
      // The command took effect; a retry after the lease runs again and is recognised by its command id.
      this.logger.warn({ err: error, correlationId: request.id }, 'idempotency result not recorded');
    }
    send(reply, response);
  }

  /**
   * Whose keys these are: the account, the guest's cart, or `undefined` for a guest without a cart token
   * (no replay at all). A tampered cart token scopes nothing; the route itself refuses it where it matters.
   */
  private idempotencyScope(request: FastifyRequest, principal: Principal): string | undefined {
    if (principal.kind === 'account') return principal.id;
    let cartId: string | undefined;
    try {
      cartId = cartTokenFromRequest(request, this.secret);
    } catch (error) {
      if (error instanceof HttpProblem && error.status === 403) return undefined;
      throw error;
    }
    return cartId === undefined ? undefined : `cart:${cartId}`;
  }

  private async release(scope: string, key: string, claimId: string, request: FastifyRequest): Promise<void> {
    await this.idempotency.release(scope, key, claimId).catch((releaseError: unknown) => {
      this.logger.warn({ err: releaseError, correlationId: request.id }, 'idempotency key not released');
    });
  }
}

function carriesCredential(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    CREDENTIAL_FIELDS.some((field) => (body as Record<string, unknown>)[field] !== undefined)
  );
}

function toResponse({ status, body, outcome, location, headers }: CommandResponse): StoredResponse {
  return {
    status,
    body,
    headers: {
      ...headers,
      etag: etag(outcome.version),
      'tally-consistency': outcome.checkpoint,
      ...(location === undefined ? {} : { location }),
    },
  };
}

function send(reply: FastifyReply, response: StoredResponse, extra: Record<string, string> = {}): void {
  void reply
    .status(response.status)
    .headers({ ...response.headers, ...extra })
    .header('content-type', 'application/json; charset=utf-8')
    .send(response.body);
}

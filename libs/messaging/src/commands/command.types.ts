import { z } from 'zod';

/** Who issued a command (the same shape as an event's actor). */
export interface CommandActor {
  readonly id: string;
  readonly role: string;
}

/** Who, when and why for a command; copied onto the events it causes. */
export interface CommandEnvelopeMetadata {
  /** Unique per intent: a retried or redelivered command keeps its id, and command-api decides it once. */
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly actor: CommandActor;
  /** ISO-8601 instant at which the command was issued. */
  readonly occurredAt: string;
}

/**
 * A command on its way to command-api (DESIGN.md §7): the same `{ type, data, metadata }` shape as the
 * domain's commands, so a process manager's `SendCommand.command` is sent as it is.
 */
export interface CommandEnvelope<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata: CommandEnvelopeMetadata;
}

/** The command was decided and its events appended (or it was a no-op, or a repeat of a decided command). */
export interface CommandAccepted {
  readonly ok: true;
  /** The stream's version after the command (an `ETag`). */
  readonly version: number;
  /** A consistency token: the checkpoint of the command's last event. */
  readonly checkpoint: string;
  /** Anything else the command returns (e.g. an assigned id). */
  readonly result?: unknown;
}

/**
 * The command was refused or could not be carried out; the fields of an RFC 9457 problem (DESIGN.md §9):
 * `status` 400 bad input (`field` names it), 404 unknown, 409 domain rule, 412 version, 503 nobody to handle
 * it, 504 no answer in time.
 */
export interface CommandRejected {
  readonly ok: false;
  readonly status: number;
  /** Stable, machine-readable (e.g. `STOCK_NOT_AVAILABLE`, `COMMAND_TIMEOUT`). */
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

/** What command-api answers to a {@link CommandEnvelope}. */
export type CommandReply = CommandAccepted | CommandRejected;

export interface SendOptions {
  /** How long to wait for the reply before answering `504 COMMAND_TIMEOUT` (default 5000 ms). */
  readonly timeoutMs?: number;
}

/**
 * Sends commands to command-api and returns its reply. Never throws: a timeout, a lost connection or a
 * failing handler come back as a {@link CommandRejected}. A sender does not retry; the caller decides,
 * and can, because command ids make a resend harmless.
 */
export interface CommandSender {
  send(command: CommandEnvelope, options?: SendOptions): Promise<CommandReply>;
}

/** Stable codes of the failures the transport itself reports (command-api's domain codes come on top). */
export const CommandTransportCodes = {
  /** No reply within the timeout; the command may or may not have been carried out. */
  timeout: 'COMMAND_TIMEOUT',
  /** Nobody serves commands (embedded dispatcher not registered, NATS unreachable). */
  unavailable: 'COMMAND_HANDLER_UNAVAILABLE',
  /** The handler failed without a reply of its own (a bug on the command side). */
  failed: 'COMMAND_FAILED',
  /** The reply did not have the {@link CommandReply} shape. */
  badReply: 'COMMAND_BAD_REPLY',
} as const;

export const DEFAULT_COMMAND_TIMEOUT_MS = 5000;

const nonEmpty = z.string().min(1);

/** The wire shape of a {@link CommandEnvelope}; command-api validates what arrives over NATS with it. */
export const commandEnvelopeSchema = z.object({
  type: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'a PascalCase command type'),
  data: z.unknown(),
  metadata: z.object({
    commandId: z.uuid(),
    correlationId: nonEmpty,
    causationId: nonEmpty,
    actor: z.object({ id: nonEmpty, role: nonEmpty }),
    occurredAt: z.iso.datetime({ offset: true }),
  }),
});

const commandReplySchema = z.union([
  z.object({
    ok: z.literal(true),
    version: z.number().int().nonnegative(),
    checkpoint: z.string(),
    result: z.unknown().optional(),
  }),
  z.object({
    ok: z.literal(false),
    status: z.number().int().min(400).max(599),
    code: nonEmpty,
    message: z.string(),
    field: z.string().optional(),
  }),
]);

/** The reply as it is when it has the {@link CommandReply} shape, `undefined` otherwise. */
export function asCommandReply(value: unknown): CommandReply | undefined {
  const parsed = commandReplySchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A rejection raised by the transport rather than by command-api. */
export function transportRejection(
  code: (typeof CommandTransportCodes)[keyof typeof CommandTransportCodes],
  message: string,
): CommandRejected {
  const status =
    code === CommandTransportCodes.timeout ? 504 : code === CommandTransportCodes.unavailable ? 503 : 502;
  return { ok: false, status, code, message };
}

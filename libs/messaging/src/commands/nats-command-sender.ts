import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { DEFAULT_SUBJECT_PREFIX, commandSubject } from '../subjects';
import {
  asCommandReply,
  CommandTransportCodes,
  DEFAULT_COMMAND_TIMEOUT_MS,
  transportRejection,
  type CommandEnvelope,
  type CommandReply,
  type CommandSender,
  type SendOptions,
} from './command.types';

export interface NatsCommandSenderOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. Ignored when `client` is given. */
  readonly servers?: string | string[];
  /** A Nest NATS client to use instead of creating one (the caller then owns it). */
  readonly client?: ClientProxy;
  /** Subject prefix (default `tally`): commands go to `<prefix>.commands.<Type>`. */
  readonly prefix?: string;
  /** Connection name shown by the NATS server (default `tally-command-sender`). */
  readonly name?: string;
  /** Timeout when `send` is given none (default 5000 ms). */
  readonly defaultTimeoutMs?: number;
}

// Nobody to answer: Nest's server has no handler for the subject, or NATS reports no responders (Nest's client
// turns that into an "Empty response ... no subscribers" error).
const NO_HANDLER = /no matching message handler|no subscribers listening|empty response/i;

/**
 * Sends commands to command-api over NATS request/reply with Nest's NATS transport
 * (docs/adr/0006-relay-and-consumers.md): the subject is `<prefix>.commands.<Type>`, the request body is
 * Nest's packet `{ pattern, data: CommandEnvelope, id }`, the reply's `response` is a {@link CommandReply}.
 * The NATS connection reconnects forever; while it is down, or when nobody serves the subject, sends answer
 * `503 COMMAND_HANDLER_UNAVAILABLE` at once.
 */
export class NatsCommandSender implements CommandSender {
  private readonly client: ClientProxy;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly defaultTimeoutMs: number;

  constructor(options: NatsCommandSenderOptions) {
    this.prefix = options.prefix ?? DEFAULT_SUBJECT_PREFIX;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      if (options.servers === undefined) throw new Error('NatsCommandSender needs servers or a client');
      this.client = ClientProxyFactory.create({
        transport: Transport.NATS,
        options: {
          servers: options.servers,
          name: options.name ?? 'tally-command-sender',
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
        },
      });
      this.ownsClient = true;
    }
  }

  async send(command: CommandEnvelope, options: SendOptions = {}): Promise<CommandReply> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    let subject: string;
    try {
      subject = commandSubject(command.type, this.prefix);
    } catch (error) {
      return { ok: false, status: 400, code: 'INVALID_COMMAND_TYPE', message: String(error), field: 'type' };
    }
    try {
      // The timeout covers connecting too: a send never waits longer than asked.
      const reply = await firstValueFrom(
        this.client.send<unknown, CommandEnvelope>(subject, command).pipe(timeout({ first: timeoutMs })),
      );
      return (
        asCommandReply(reply) ??
        transportRejection(
          CommandTransportCodes.badReply,
          `The reply to ${command.type} is not a command reply`,
        )
      );
    } catch (error) {
      if (error instanceof TimeoutError) {
        return transportRejection(
          CommandTransportCodes.timeout,
          `No reply to ${command.type} (command ${command.metadata.commandId}) within ${timeoutMs} ms`,
        );
      }
      const message = errorMessage(error);
      if (NO_HANDLER.test(message) || /connection/i.test(message) || isConnectionError(error)) {
        return transportRejection(CommandTransportCodes.unavailable, `${command.type}: ${message}`);
      }
      return transportRejection(CommandTransportCodes.failed, `${command.type}: ${message}`);
    }
  }

  /** Closes the NATS connection if this sender created it. */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}

function errorMessage(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String(error.message);
  }
  return JSON.stringify(error);
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)
  );
}

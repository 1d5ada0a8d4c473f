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

/** Handles one command and answers it; what command-api registers in embedded mode. */
export type CommandDispatcher = (command: CommandEnvelope) => Promise<CommandReply>;

/**
 * The embedded-mode {@link CommandSender}: calls the dispatcher command-api registered in the same
 * process. The command goes through JSON on the way in and the reply on the way out, so embedded mode
 * sees exactly what NATS would carry (no shared objects, no `Date`s, no `undefined` fields).
 */
export class InProcessCommandSender implements CommandSender {
  private dispatcher: CommandDispatcher | undefined;

  constructor(
    dispatcher?: CommandDispatcher,
    private readonly defaultTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
  ) {
    this.dispatcher = dispatcher;
  }

  /** Sets the dispatcher (command-api may start after the process managers that send to it). */
  register(dispatcher: CommandDispatcher): void {
    this.dispatcher = dispatcher;
  }

  async send(command: CommandEnvelope, options: SendOptions = {}): Promise<CommandReply> {
    const dispatcher = this.dispatcher;
    if (!dispatcher) {
      return transportRejection(
        CommandTransportCodes.unavailable,
        `No command dispatcher for ${command.type} yet`,
      );
    }
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<CommandReply>((resolve) => {
      timer = setTimeout(() => {
        resolve(
          transportRejection(
            CommandTransportCodes.timeout,
            `No reply to ${command.type} (command ${command.metadata.commandId}) within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
    });
    const answered = (async (): Promise<CommandReply> => {
      try {
        const reply: unknown = await dispatcher(JSON.parse(JSON.stringify(command)) as CommandEnvelope);
        return (
          asCommandReply(reply === undefined ? undefined : JSON.parse(JSON.stringify(reply))) ??
          transportRejection(
            CommandTransportCodes.badReply,
            `The reply to ${command.type} is not a command reply`,
          )
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return transportRejection(CommandTransportCodes.failed, `${command.type}: ${message}`);
      }
    })();
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}

import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { CommandReply } from '@tally/messaging';
import { CommandDispatcher } from './command-dispatcher';

/**
 * The NATS request/reply side of command-api: one handler for every `<prefix>.commands.<Type>` subject,
 * served by the `command-api` queue group so that each command reaches exactly one instance. Built per
 * subject pattern because a decorator needs it when the class is defined (tests use their own prefix).
 */
export function commandMessagesController(subjectPattern: string): Type {
  @Controller()
  class CommandMessagesController {
    constructor(@Inject(CommandDispatcher) private readonly dispatcher: CommandDispatcher) {}

    // The dispatcher never throws: refusals travel as replies, not as transport errors.
    @MessagePattern(subjectPattern)
    handle(@Payload() envelope: unknown): Promise<CommandReply> {
      return this.dispatcher.dispatch(envelope);
    }
  }
  return CommandMessagesController;
}

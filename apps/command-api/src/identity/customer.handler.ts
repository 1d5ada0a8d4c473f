import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { type CustomerCommand, customerDecider, customerStreamId } from '@tally/domain';
import type { CommandContext } from '../shared/command-edge';
import { type CommandOutcome, Decide } from '../shared/decide.command';
import { inRequestTerms } from '../shared/domain-error-fields';

/** Account writes: customer commands are decided by `customerDecider` against `customer-<customerId>`. */
@Injectable()
export class CustomerHandler {
  constructor(private readonly commandBus: CommandBus) {}

  async execute(command: CustomerCommand, context: CommandContext): Promise<CommandOutcome> {
    try {
      return await this.commandBus.execute(
        new Decide(customerDecider, customerStreamId(command.data.customerId), command, {
          expectedVersion: context.expectedVersion,
        }),
      );
    } catch (error) {
      throw inRequestTerms(error, {
        byCode: { CUSTOMER_NOT_FOUND: 'path.customerId' },
        byField: { tokenHash: 'token' },
      });
    }
  }
}

import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { type ProductCommand, productDecider, productStreamId } from '@tally/domain';
import type { CommandContext } from '../shared/command-edge';
import { Decide, type CommandOutcome } from '../shared/decide.command';
import { inRequestTerms } from '../shared/domain-error-fields';

/**
 * Catalog writes: every product command is decided by `productDecider` against stream `product-<sku>`.
 * None of them commutes (a price or a status is set from what the merchant saw), so a lost race is
 * reported rather than retried.
 */
@Injectable()
export class ProductHandler {
  constructor(private readonly commandBus: CommandBus) {}

  async execute(command: ProductCommand, context: CommandContext): Promise<CommandOutcome> {
    try {
      return await this.commandBus.execute(
        new Decide(productDecider, productStreamId(command.data.sku), command, {
          expectedVersion: context.expectedVersion,
        }),
      );
    } catch (error) {
      throw inRequestTerms(error, {
        byCode: {
          PRODUCT_NOT_FOUND: 'path.sku',
          PRODUCT_DISCONTINUED: 'path.sku',
          PRODUCT_ALREADY_EXISTS: 'sku',
        },
      });
    }
  }
}

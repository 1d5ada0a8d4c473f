import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { productStreamId, type StockItemCommand, stockItemDecider, stockStreamId } from '@tally/domain';
import type { EventStore } from '@tally/event-store';
import { EVENT_STORE, HttpProblem } from '@tally/platform';
import type { CommandContext } from '../shared/command-edge';
import { Decide, type CommandOutcome } from '../shared/decide.command';
import { inRequestTerms } from '../shared/domain-error-fields';
import { COMMUTING_RETRY } from '../shared/retry-policy';

/** Receipts and adjustments add up in any order: a lost race is decided again against the fresh stream. */
const COMMUTING: ReadonlySet<StockItemCommand['type']> = new Set(['ReceiveStock', 'AdjustStock']);

/**
 * Inventory writes: stock commands are decided by `stockItemDecider` against stream `stock-<sku>`, for
 * SKUs the catalog knows (a product stream exists in the event store).
 */
@Injectable()
export class StockItemHandler {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute(command: StockItemCommand, context: CommandContext): Promise<CommandOutcome> {
    const { sku } = command.data;
    // The write side's own record decides whether the SKU exists, not a read model that may lag.
    const product = await this.store.readStream(productStreamId(sku), { toVersion: 1 });
    if (product.length === 0) {
      throw new HttpProblem(422, 'UNKNOWN_SKU', 'Unknown SKU', `No product with SKU ${sku} exists.`, [
        { field: 'path.sku', message: 'is not a product in the catalog' },
      ]);
    }
    try {
      return await this.commandBus.execute(
        new Decide(stockItemDecider, stockStreamId(sku), command, {
          expectedVersion: context.expectedVersion,
          retry: COMMUTING.has(command.type) ? COMMUTING_RETRY : undefined,
        }),
      );
    } catch (error) {
      throw inRequestTerms(error, {});
    }
  }
}

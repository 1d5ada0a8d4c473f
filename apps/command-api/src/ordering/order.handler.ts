import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  type AssignOrderNumber,
  type CommandMetadata,
  type OrderCommand,
  orderDecider,
  orderStreamId,
  type PlaceOrder,
} from '@tally/domain';
import type { EventStore } from '@tally/event-store';
import { EVENT_STORE, HttpProblem } from '@tally/platform';
import { type CommandOutcome, Decide, type DecideOptions } from '../shared/decide.command';
import { stepCommandId } from '../shared/deterministic-id';
import { OrderNumberAllocator } from './order-numbers';

/** An order placed and numbered. */
export interface PlacedOrder {
  readonly outcome: CommandOutcome;
  readonly orderNumber: number;
}

/**
 * Order writes: order commands are decided by `orderDecider` against stream `order-<orderId>`. Placing an
 * order also gives it its number, allocated only once the order is stored so that every number belongs to
 * a placed order.
 */
@Injectable()
export class OrderHandler {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly numbers: OrderNumberAllocator,
  ) {}

  execute(command: OrderCommand, options: DecideOptions = {}): Promise<CommandOutcome> {
    return this.commandBus.execute(
      new Decide(orderDecider, orderStreamId(command.data.orderId), command, options),
    );
  }

  /**
   * Places the order, then numbers it. Both steps are safe to repeat: a redelivered `PlaceOrder` is answered
   * from its stored events, the allocation of an order returns its first number, and the assignment carries
   * an id derived from the placement's, so a crash between any two steps is repaired by sending it again.
   */
  async place(command: PlaceOrder, options: DecideOptions = {}): Promise<PlacedOrder> {
    await this.execute(command, options);
    return this.assignNumber(command.data.orderId, command.metadata, options);
  }

  /** Allocates the number of an order that is placed (never of one that is not: numbers stay gap-free). */
  async assignNumber(
    orderId: string,
    cause: CommandMetadata,
    options: DecideOptions = {},
  ): Promise<PlacedOrder> {
    const placed = await this.store.readStream(orderStreamId(orderId), { toVersion: 1 });
    if (placed[0]?.type !== 'OrderPlaced') {
      throw new HttpProblem(404, 'ORDER_NOT_FOUND', 'Order not found', `Order ${orderId} was never placed.`, [
        { field: 'data.orderId', message: 'is not a placed order' },
      ]);
    }
    const metadata: CommandMetadata = {
      ...cause,
      commandId: stepCommandId(cause.commandId, 'assign-order-number'),
      causationId: cause.commandId,
    };
    const orderNumber = await this.numbers.allocate(orderId, { ...metadata, schemaVersion: 1 });
    const assign: AssignOrderNumber = { type: 'AssignOrderNumber', data: { orderId, orderNumber }, metadata };
    return { outcome: await this.execute(assign, options), orderNumber };
  }
}

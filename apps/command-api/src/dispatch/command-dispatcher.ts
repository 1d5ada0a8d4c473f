import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { type CommandMetadata, type StockItemCommand, stockItemDecider, stockStreamId } from '@tally/domain';
import { PaymentOperationRejected, PaymentProviderUnavailable } from '@tally/payments';
import { ConcurrencyError } from '@tally/event-store';
import type { CommandAccepted, CommandRejected, CommandReply } from '@tally/messaging';
import { HttpProblem, LOGGER, type Logger, parseRequest, toProblem } from '@tally/platform';
import { z } from 'zod';
import { OrderNumberAllocationContended } from '../ordering/order-numbers';
import { OrderHandler } from '../ordering/order.handler';
import { PaymentHandler } from '../payments/payment.handler';
import { type CommandOutcome, Decide, type DecideOptions } from '../shared/decide.command';
import { isDomainError } from '../shared/domain-error-fields';
import { PROCESS_RETRY } from '../shared/retry-policy';
import {
  commandEnvelopeSchema,
  dispatchedCommandData,
  type DispatchedType,
  isDispatchedType,
} from './dispatch.schemas';

/** One dispatched command, its data checked against its type's schema. */
type Dispatched = {
  [Type in DispatchedType]: {
    readonly type: Type;
    readonly data: z.infer<(typeof dispatchedCommandData)[Type]>;
    readonly metadata: CommandMetadata;
  };
}[DispatchedType];

/**
 * Runs the commands the process managers send (DESIGN.md §7), over NATS request/reply or in process in
 * embedded mode: every `CheckoutCommand` type, with the sender's command id, correlation, causation and
 * actor. Decider commands go through the generic handler (a command id already in its stream is answered
 * with its first result), the payment actions through the provider (docs/adr/0008-checkout-edge.md).
 *
 * Never throws: every outcome is a {@link CommandReply}. A refusal that will not change is a 4xx; what a
 * resend may fix (lost races exhausted, provider unreachable, a bug) is a 5xx, which the sender retries.
 */
@Injectable()
export class CommandDispatcher {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly orders: OrderHandler,
    private readonly payments: PaymentHandler,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async dispatch(envelope: unknown): Promise<CommandReply> {
    let command: Dispatched | undefined;
    try {
      command = parseDispatched(envelope);
      return await this.run(command);
    } catch (error) {
      const rejected = rejectionOf(error);
      const context = {
        type: command?.type,
        commandId: command?.metadata.commandId,
        correlationId: command?.metadata.correlationId,
        status: rejected.status,
        code: rejected.code,
      };
      if (rejected.code === 'COMMAND_FAILED') this.logger.error({ ...context, err: error }, 'command failed');
      else if (rejected.status >= 500)
        this.logger.warn(context, 'command not carried out; the sender retries');
      else this.logger.debug(context, 'command refused');
      return rejected;
    }
  }

  private async run(command: Dispatched): Promise<CommandAccepted> {
    // Process commands carry no version a client saw: a lost race is always decided again.
    const options: DecideOptions = { retry: PROCESS_RETRY };
    const { metadata } = command;
    switch (command.type) {
      case 'PlaceOrder': {
        const placed = await this.orders.place(command, options);
        return accepted(placed.outcome, { orderNumber: placed.orderNumber });
      }
      case 'AssignOrderNumber': {
        const numbered = await this.orders.assignNumber(command.data.orderId, metadata, options);
        return accepted(numbered.outcome, { orderNumber: numbered.orderNumber });
      }
      case 'RecordOrderStockReserved':
      case 'RecordOrderPaymentAuthorized':
      case 'ConfirmOrder':
      case 'RecordOrderPaymentCaptured':
      case 'CancelOrder':
      case 'RecordOrderRefunded':
        return accepted(await this.orders.execute(command, options));
      case 'ReserveStock':
      case 'ReleaseStockReservation':
      case 'CommitStockReservation':
        return accepted(await this.stock(command, options));
      case 'AuthorizePayment': {
        const { outcome, status } = await this.payments.authorize(command, metadata, options);
        return accepted(outcome, { status });
      }
      case 'CapturePayment': {
        const { outcome, status } = await this.payments.capture(command, metadata, options);
        return accepted(outcome, { status });
      }
      case 'VoidPayment': {
        const { outcome, status } = await this.payments.void(command, metadata, options);
        return accepted(outcome, { status });
      }
      case 'RefundPayment': {
        const { outcome, status } = await this.payments.refund(command, metadata, options);
        return accepted(outcome, { status });
      }
    }
  }

  private stock(command: StockItemCommand, options: DecideOptions): Promise<CommandOutcome> {
    return this.commandBus.execute(
      new Decide(stockItemDecider, stockStreamId(command.data.sku), command, options),
    );
  }
}

function accepted(outcome: CommandOutcome, result?: Record<string, unknown>): CommandAccepted {
  return {
    ok: true,
    version: outcome.version,
    checkpoint: outcome.checkpoint,
    ...(result === undefined ? {} : { result }),
  };
}

/** The envelope, then its data against the schema of its type; a 400 naming every bad field otherwise. */
function parseDispatched(envelope: unknown): Dispatched {
  const { type, data, metadata } = parseRequest(commandEnvelopeSchema, envelope, 'body');
  if (!isDispatchedType(type)) {
    throw new HttpProblem(400, 'UNKNOWN_COMMAND', 'Unknown command', `command-api does not run ${type}.`, [
      { field: 'type', message: 'is not a command the process managers may send' },
    ]);
  }
  // Wrapped, so that bad fields are named as in the envelope: `data.quantity`.
  const parsed = parseRequest(z.object({ data: dispatchedCommandData[type] }), { data }, 'body');
  return { type, data: parsed.data, metadata } as Dispatched;
}

/**
 * A failure as a reply. Refusals keep their status (400 bad field, 404, 409, 422) and name the command
 * field (`data.quantity`); what a resend of the same command may fix is a 503; anything else is a bug (500).
 */
export function rejectionOf(error: unknown): CommandRejected {
  if (error instanceof PaymentProviderUnavailable) return reject(503, error.code, error.message);
  if (error instanceof OrderNumberAllocationContended)
    return reject(503, 'ORDER_NUMBER_CONTENDED', error.message);
  if (error instanceof PaymentOperationRejected) return reject(409, error.code, error.message);
  // Lost races, exhausted: nothing was decided, so the same command may well succeed when sent again.
  if (
    error instanceof ConcurrencyError ||
    (error instanceof HttpProblem && error.code === 'CONCURRENT_MODIFICATION')
  )
    return reject(503, 'CONCURRENT_MODIFICATION', error.message);
  if (isDomainError(error)) {
    const { status } = toProblem(error).problem;
    return reject(
      status,
      error.code,
      error.message,
      error.field === undefined ? undefined : `data.${error.field}`,
    );
  }
  if (error instanceof HttpProblem && error.status < 500)
    return reject(error.status, error.code, error.message, error.errors?.[0]?.field);
  return reject(500, 'COMMAND_FAILED', 'The command failed on the command side; it was logged.');
}

function reject(status: number, code: string, message: string, field?: string): CommandRejected {
  return { ok: false, status, code, message, ...(field === undefined ? {} : { field }) };
}

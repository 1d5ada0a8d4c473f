import { assertNever, isCurrencyCode, sameMoney } from '../../shared';
import type { Decider, Money } from '../../shared';
import type {
  InitiatePayment,
  PaymentCommand,
  PaymentProviderName,
  RecordPaymentAuthorized,
  RecordPaymentCaptured,
  RecordPaymentDeclined,
  RecordPaymentRefunded,
  RecordPaymentVoided,
} from './payment.commands';
import {
  IncompletePaymentDetails,
  InvalidPaymentAmount,
  InvalidPaymentProvider,
  PaymentAlreadyCaptured,
  PaymentAlreadyExists,
  PaymentAmountMismatch,
  PaymentNotAuthorizable,
  PaymentNotCapturable,
  PaymentNotFound,
  PaymentNotRefundable,
  PaymentNotVoidable,
  PaymentProviderMismatch,
  PaymentRefundConflict,
  PaymentRefundExceedsCaptured,
} from './payment.errors';
import type { PaymentEvent } from './payment.events';
import type {
  CapturedPayment,
  InitiatedOrLaterPayment,
  PaymentData,
  PaymentRefund,
  PaymentState,
  PaymentStatus,
} from './payment.state';

/** The payment providers Tally knows. */
export const PAYMENT_PROVIDERS: readonly PaymentProviderName[] = ['stripe', 'simulated'];

const initialState: PaymentState = { status: 'none' };

const isPresentText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
const isPositiveMinorUnits = (amount: number): boolean => Number.isSafeInteger(amount) && amount > 0;

/** The status of a payment, or null when it was never initiated. */
export function paymentStatus(state: PaymentState): PaymentStatus | null {
  return state.status === 'none' ? null : state.status;
}

/** What the APIs show of a payment. */
export interface PaymentView {
  readonly paymentId: string;
  readonly orderId: string;
  readonly status: PaymentStatus;
  readonly provider: PaymentProviderName;
  /** The amount asked for. */
  readonly amount: Money;
  readonly providerPaymentId: string | null;
  readonly authorized: Money | null;
  readonly captured: Money | null;
  readonly refunds: readonly PaymentRefund[];
  /** Sum of the refunds paid out. */
  readonly refunded: Money;
  /** Why the provider declined it, when it did. */
  readonly declineReason: string | null;
  readonly declineMessage: string | null;
}

/** The payment as shown by the APIs, or null when it was never initiated. */
export function paymentView(state: PaymentState): PaymentView | null {
  if (state.status === 'none') return null;
  const refunds = state.status === 'captured' ? state.refunds : [];
  return {
    paymentId: state.paymentId,
    orderId: state.orderId,
    status: state.status,
    provider: state.provider,
    amount: state.amount,
    providerPaymentId: state.status === 'initiated' ? null : state.providerPaymentId,
    authorized: state.status === 'initiated' || state.status === 'declined' ? null : state.authorized,
    captured: state.status === 'captured' ? state.captured : null,
    refunds,
    refunded: {
      amount: refunds.reduce((sum, r) => sum + r.amount.amount, 0),
      currency: state.amount.currency,
    },
    declineReason: state.status === 'declined' ? state.reason : null,
    declineMessage: state.status === 'declined' ? state.message : null,
  };
}

/** The payment, or PaymentNotFound. */
function existing(state: PaymentState, paymentId: string): InitiatedOrLaterPayment {
  if (state.status === 'none') throw new PaymentNotFound(paymentId);
  return state;
}

function assertProviderId(
  field: 'providerPaymentId' | 'providerRefundId' | 'refundId',
  value: unknown,
): void {
  if (!isPresentText(value)) throw new IncompletePaymentDetails(field);
}

/** A provider-reported amount: a positive whole number of minor units in the payment currency. */
function assertPaymentAmount(payment: PaymentData, amount: Money): void {
  if (amount.currency !== payment.amount.currency) {
    throw new PaymentAmountMismatch(`must be in ${payment.amount.currency}, got ${amount.currency}`);
  }
  if (!isPositiveMinorUnits(amount.amount)) {
    throw new PaymentAmountMismatch(`must be a positive whole number of minor units, got ${amount.amount}`);
  }
}

const copyMoney = (money: Money): Money => ({ amount: money.amount, currency: money.currency });

function initiate({ data }: InitiatePayment, state: PaymentState): PaymentEvent[] {
  const { paymentId, orderId, amount, provider, paymentMethodId } = data;
  if (state.status !== 'none') {
    // The checkout's AuthorizePayment retried: the payment is already under way.
    const same =
      state.orderId === orderId &&
      sameMoney(state.amount, amount) &&
      state.provider === provider &&
      state.paymentMethodId === paymentMethodId;
    if (same) return [];
    throw new PaymentAlreadyExists(state.paymentId);
  }
  if (!isPresentText(orderId)) throw new IncompletePaymentDetails('orderId');
  if (!isCurrencyCode(amount.currency)) {
    throw new InvalidPaymentAmount(
      'amount.currency',
      `must be a 3-letter uppercase ISO-4217 code, got "${amount.currency}"`,
    );
  }
  if (!isPositiveMinorUnits(amount.amount)) {
    throw new InvalidPaymentAmount(
      'amount',
      `must be a positive whole number of minor units, got ${amount.amount}`,
    );
  }
  if (!PAYMENT_PROVIDERS.includes(provider)) throw new InvalidPaymentProvider(provider);
  if (!isPresentText(paymentMethodId)) throw new IncompletePaymentDetails('paymentMethodId');
  return [
    {
      type: 'PaymentInitiated',
      data: { paymentId, orderId, amount: copyMoney(amount), provider, paymentMethodId },
    },
  ];
}

function authorize({ data }: RecordPaymentAuthorized, state: PaymentState): PaymentEvent[] {
  const payment = existing(state, data.paymentId);
  const { providerPaymentId, amount } = data;
  assertProviderId('providerPaymentId', providerPaymentId);
  switch (payment.status) {
    case 'initiated':
      // The provider holds what was asked for; anything else is a provider or wiring bug, not a payment.
      if (!sameMoney(amount, payment.amount)) {
        throw new PaymentAmountMismatch(
          `must be the ${payment.amount.amount} ${payment.amount.currency} asked for`,
        );
      }
      return [
        {
          type: 'PaymentAuthorized',
          data: {
            paymentId: payment.paymentId,
            orderId: payment.orderId,
            providerPaymentId,
            amount: copyMoney(amount),
          },
        },
      ];
    case 'authorized':
    case 'captured':
    case 'voided': {
      // A replayed webhook of the authorization this payment already recorded changes nothing.
      const replay =
        payment.authorized !== null &&
        payment.providerPaymentId === providerPaymentId &&
        sameMoney(payment.authorized, amount);
      if (replay) return [];
      throw new PaymentNotAuthorizable(
        payment.paymentId,
        payment.authorized === null
          ? 'it was voided before any authorization'
          : 'it was authorized otherwise',
      );
    }
    case 'declined':
      throw new PaymentNotAuthorizable(payment.paymentId, 'it was declined');
    default:
      return assertNever(payment);
  }
}

function decline({ data }: RecordPaymentDeclined, state: PaymentState): PaymentEvent[] {
  const payment = existing(state, data.paymentId);
  switch (payment.status) {
    case 'initiated':
      return [
        {
          type: 'PaymentDeclined',
          data: {
            paymentId: payment.paymentId,
            orderId: payment.orderId,
            providerPaymentId: data.providerPaymentId,
            reason: data.reason,
            message: data.message,
          },
        },
      ];
    case 'declined':
      // Declined is final: a replayed or repeated failure report adds nothing.
      return [];
    case 'authorized':
    case 'captured':
    case 'voided':
      // A failure reported after the provider's own later outcome is a stale, out-of-order webhook (e.g. a
      // first card attempt that failed before a retry succeeded). Answering with an error would only make
      // the provider redeliver it.
      return [];
    default:
      return assertNever(payment);
  }
}

function capture({ data }: RecordPaymentCaptured, state: PaymentState): PaymentEvent[] {
  const payment = existing(state, data.paymentId);
  const { providerPaymentId, amount } = data;
  switch (payment.status) {
    case 'authorized':
      if (payment.providerPaymentId !== providerPaymentId) {
        throw new PaymentProviderMismatch(payment.paymentId, payment.providerPaymentId, providerPaymentId);
      }
      assertPaymentAmount(payment, amount);
      if (amount.amount > payment.authorized.amount) {
        throw new PaymentAmountMismatch(
          `must be at most the ${payment.authorized.amount} authorized, got ${amount.amount}`,
        );
      }
      return [
        {
          type: 'PaymentCaptured',
          data: {
            paymentId: payment.paymentId,
            orderId: payment.orderId,
            providerPaymentId,
            amount: copyMoney(amount),
          },
        },
      ];
    case 'captured':
      if (payment.providerPaymentId === providerPaymentId && sameMoney(payment.captured, amount)) return [];
      throw new PaymentAlreadyCaptured(payment.paymentId);
    case 'initiated':
    case 'voided':
    case 'declined':
      throw new PaymentNotCapturable(payment.paymentId, payment.status);
    default:
      return assertNever(payment);
  }
}

function voidPayment({ data }: RecordPaymentVoided, state: PaymentState): PaymentEvent[] {
  const payment = existing(state, data.paymentId);
  const { providerPaymentId } = data;
  assertProviderId('providerPaymentId', providerPaymentId);
  const voided: PaymentEvent[] = [
    {
      type: 'PaymentVoided',
      data: { paymentId: payment.paymentId, orderId: payment.orderId, providerPaymentId },
    },
  ];
  switch (payment.status) {
    case 'initiated':
      // Checkout cancels a payment that timed out before the provider answered; the provider reports it
      // cancelled, and nothing can be authorized under it afterwards.
      return voided;
    case 'authorized':
      if (payment.providerPaymentId !== providerPaymentId) {
        throw new PaymentProviderMismatch(payment.paymentId, payment.providerPaymentId, providerPaymentId);
      }
      return voided;
    case 'voided':
      if (payment.providerPaymentId === providerPaymentId) return [];
      throw new PaymentProviderMismatch(payment.paymentId, payment.providerPaymentId, providerPaymentId);
    case 'captured':
      throw new PaymentAlreadyCaptured(payment.paymentId);
    case 'declined':
      throw new PaymentNotVoidable(payment.paymentId, payment.status);
    default:
      return assertNever(payment);
  }
}

function refund({ data }: RecordPaymentRefunded, state: PaymentState): PaymentEvent[] {
  const payment = existing(state, data.paymentId);
  const { refundId, providerRefundId, amount } = data;
  assertProviderId('refundId', refundId);
  assertProviderId('providerRefundId', providerRefundId);
  if (payment.status !== 'captured') throw new PaymentNotRefundable(payment.paymentId, payment.status);
  const known = payment.refunds.find((r) => r.providerRefundId === providerRefundId);
  if (known !== undefined) {
    // The provider's refund webhook delivered again.
    if (known.refundId === refundId && sameMoney(known.amount, amount)) return [];
    throw new PaymentRefundConflict(providerRefundId);
  }
  assertPaymentAmount(payment, amount);
  const refundable = remainingRefundable(payment);
  if (amount.amount > refundable) throw new PaymentRefundExceedsCaptured(amount.amount, refundable);
  return [
    {
      type: 'PaymentRefunded',
      data: {
        paymentId: payment.paymentId,
        orderId: payment.orderId,
        refundId,
        providerRefundId,
        amount: copyMoney(amount),
      },
    },
  ];
}

function remainingRefundable(payment: CapturedPayment): number {
  return payment.captured.amount - payment.refunds.reduce((sum, r) => sum + r.amount.amount, 0);
}

function decide(command: PaymentCommand, state: PaymentState): PaymentEvent[] {
  switch (command.type) {
    case 'InitiatePayment':
      return initiate(command, state);
    case 'RecordPaymentAuthorized':
      return authorize(command, state);
    case 'RecordPaymentDeclined':
      return decline(command, state);
    case 'RecordPaymentCaptured':
      return capture(command, state);
    case 'RecordPaymentVoided':
      return voidPayment(command, state);
    case 'RecordPaymentRefunded':
      return refund(command, state);
    default:
      return assertNever(command);
  }
}

/** What every initiated payment carries, without its status and the fields only some statuses have. */
function dataOf(payment: InitiatedOrLaterPayment): PaymentData {
  const { paymentId, orderId, amount, provider, paymentMethodId } = payment;
  return { paymentId, orderId, amount, provider, paymentMethodId };
}

function evolve(state: PaymentState, event: PaymentEvent): PaymentState {
  if (event.type === 'PaymentInitiated') return { status: 'initiated', ...event.data };
  // Every other event changes an initiated payment; before PaymentInitiated it changes nothing.
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'PaymentAuthorized':
      return {
        ...dataOf(state),
        status: 'authorized',
        providerPaymentId: event.data.providerPaymentId,
        authorized: event.data.amount,
      };
    case 'PaymentDeclined':
      return {
        ...dataOf(state),
        status: 'declined',
        providerPaymentId: event.data.providerPaymentId,
        reason: event.data.reason,
        message: event.data.message,
      };
    case 'PaymentCaptured':
      return {
        ...dataOf(state),
        status: 'captured',
        providerPaymentId: event.data.providerPaymentId,
        authorized: state.status === 'authorized' ? state.authorized : event.data.amount,
        captured: event.data.amount,
        refunds: [],
      };
    case 'PaymentVoided':
      return {
        ...dataOf(state),
        status: 'voided',
        providerPaymentId: event.data.providerPaymentId,
        authorized: state.status === 'authorized' ? state.authorized : null,
      };
    case 'PaymentRefunded': {
      if (state.status !== 'captured') return state;
      const { refundId, providerRefundId, amount } = event.data;
      return { ...state, refunds: [...state.refunds, { refundId, providerRefundId, amount }] };
    }
    default: {
      // Compile-time exhaustiveness only: an event type this code does not know leaves the state as it is.
      const _unknown: never = event;
      return state;
    }
  }
}

/**
 * A payment as a pure decider over stream `payment-<paymentId>` (one payment per order; checkout uses the
 * order id as the payment id).
 *
 * Initiated once for an amount, it is then authorized or declined by the provider; an authorized payment
 * is captured or voided, and a captured one refunded, in part or in full, never above what was captured.
 * Every outcome is keyed by the provider's ids, so a replayed webhook changes nothing. Declined is final.
 */
export const paymentDecider = {
  initialState,
  decide,
  evolve,
  isTerminal: (state: PaymentState): boolean =>
    state.status === 'declined' ||
    state.status === 'voided' ||
    (state.status === 'captured' && remainingRefundable(state) === 0),
} satisfies Decider<PaymentCommand, PaymentEvent, PaymentState>;

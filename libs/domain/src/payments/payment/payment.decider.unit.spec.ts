import type { CommandMetadata, Money } from '../../shared';
import { deciderSpec } from '../../testing/decider-spec';
import type { PaymentCommand, PaymentProviderName } from './payment.commands';
import { paymentDecider, paymentStatus, paymentView } from './payment.decider';
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
import type { PaymentState } from './payment.state';

const metadata: CommandMetadata = {
  commandId: 'cmd-1',
  correlationId: 'corr-1',
  causationId: 'cause-1',
  actor: { id: 'payments', role: 'system' },
  occurredAt: '2025-01-01T10:00:00.000Z',
};

const command = <T extends PaymentCommand['type']>(
  type: T,
  data: Extract<PaymentCommand, { type: T }>['data'],
) => ({ type, data, metadata }) as Extract<PaymentCommand, { type: T }>;

const orderId = '0190d5a8-0000-7000-8000-00000000000a';
const paymentId = orderId;
const pi = 'pi_3Ox0001';
const eur = (amount: number): Money => ({ amount, currency: 'EUR' });

type InitiateData = Extract<PaymentCommand, { type: 'InitiatePayment' }>['data'];
const initiateData: InitiateData = {
  paymentId,
  orderId,
  amount: eur(3294),
  provider: 'stripe',
  paymentMethodId: 'pm_card_visa',
};
const initiate = (overrides: Partial<InitiateData> = {}) =>
  command('InitiatePayment', { ...initiateData, ...overrides });
const recordAuthorized = (providerPaymentId = pi, amount = eur(3294)) =>
  command('RecordPaymentAuthorized', { paymentId, providerPaymentId, amount });
const recordDeclined = (reason = 'card_declined', providerPaymentId: string | null = pi) =>
  command('RecordPaymentDeclined', {
    paymentId,
    providerPaymentId,
    reason,
    message: 'Your card was declined.',
  });
const recordCaptured = (amount = eur(3294), providerPaymentId = pi) =>
  command('RecordPaymentCaptured', { paymentId, providerPaymentId, amount });
const recordVoided = (providerPaymentId = pi) =>
  command('RecordPaymentVoided', { paymentId, providerPaymentId });
const recordRefunded = (refundId: string, providerRefundId: string, amount: Money) =>
  command('RecordPaymentRefunded', { paymentId, refundId, providerRefundId, amount });

const initiated: PaymentEvent = { type: 'PaymentInitiated', data: initiateData };
const authorized = (providerPaymentId = pi, amount = eur(3294)): PaymentEvent => ({
  type: 'PaymentAuthorized',
  data: { paymentId, orderId, providerPaymentId, amount },
});
const declined = (reason = 'card_declined', providerPaymentId: string | null = pi): PaymentEvent => ({
  type: 'PaymentDeclined',
  data: { paymentId, orderId, providerPaymentId, reason, message: 'Your card was declined.' },
});
const captured = (amount = eur(3294), providerPaymentId = pi): PaymentEvent => ({
  type: 'PaymentCaptured',
  data: { paymentId, orderId, providerPaymentId, amount },
});
const voided = (providerPaymentId = pi): PaymentEvent => ({
  type: 'PaymentVoided',
  data: { paymentId, orderId, providerPaymentId },
});
const refunded = (refundId: string, providerRefundId: string, amount: Money): PaymentEvent => ({
  type: 'PaymentRefunded',
  data: { paymentId, orderId, refundId, providerRefundId, amount },
});

const spec = deciderSpec(paymentDecider);
const fold = (events: readonly PaymentEvent[]): PaymentState =>
  events.reduce(paymentDecider.evolve, paymentDecider.initialState);

const authorizedHistory = [initiated, authorized()];
const capturedHistory = [...authorizedHistory, captured()];

describe('Payment', () => {
  describe('when never initiated', () => {
    const given = spec.given([]);

    it.each<PaymentProviderName>(['stripe', 'simulated'])('initiates it with %s', (provider) => {
      given
        .when(initiate({ provider }))
        .then([{ type: 'PaymentInitiated', data: { ...initiateData, provider } }]);
    });

    it.each([0, -1, 1.5])('rejects an amount of %p', (amount) => {
      given.when(initiate({ amount: eur(amount) })).thenThrows(InvalidPaymentAmount, 'amount');
    });

    it('rejects a malformed currency', () => {
      given
        .when(initiate({ amount: { amount: 1, currency: 'eur' } }))
        .thenThrows(InvalidPaymentAmount, 'amount.currency');
    });

    it('rejects an unknown provider', () => {
      given
        .when(initiate({ provider: 'paypal' as PaymentProviderName }))
        .thenThrows(InvalidPaymentProvider, 'provider');
    });

    it('rejects a payment without order or payment method', () => {
      given.when(initiate({ orderId: '' })).thenThrows(IncompletePaymentDetails, 'orderId');
      given.when(initiate({ paymentMethodId: ' ' })).thenThrows(IncompletePaymentDetails, 'paymentMethodId');
    });

    it.each<[string, PaymentCommand]>([
      ['RecordPaymentAuthorized', recordAuthorized()],
      ['RecordPaymentDeclined', recordDeclined()],
      ['RecordPaymentCaptured', recordCaptured()],
      ['RecordPaymentVoided', recordVoided()],
      ['RecordPaymentRefunded', recordRefunded('r-1', 're_1', eur(1))],
    ])('rejects %s', (_, cmd) => {
      given.when(cmd).thenThrows(PaymentNotFound, 'paymentId');
    });
  });

  describe('when initiated', () => {
    const given = spec.given([initiated]);

    it('ignores the same initiation again', () => {
      given.when(initiate()).thenNothingHappens();
    });

    it('rejects an initiation with other details', () => {
      given.when(initiate({ amount: eur(1) })).thenThrows(PaymentAlreadyExists, 'paymentId');
      given.when(initiate({ paymentMethodId: 'pm_other' })).thenThrows(PaymentAlreadyExists, 'paymentId');
      given.when(initiate({ provider: 'simulated' })).thenThrows(PaymentAlreadyExists, 'paymentId');
      given.when(initiate({ orderId: 'other-order' })).thenThrows(PaymentAlreadyExists, 'paymentId');
    });

    it('records the authorization of the amount asked for, with the order id', () => {
      given.when(recordAuthorized()).then([authorized()]);
    });

    it('rejects an authorization of another amount or without a provider id', () => {
      given.when(recordAuthorized(pi, eur(3293))).thenThrows(PaymentAmountMismatch, 'amount');
      given
        .when(recordAuthorized(pi, { amount: 3294, currency: 'USD' }))
        .thenThrows(PaymentAmountMismatch, 'amount');
      given.when(recordAuthorized('')).thenThrows(IncompletePaymentDetails, 'providerPaymentId');
    });

    it("records a decline with the provider's reason, with or without a provider payment id", () => {
      given.when(recordDeclined('insufficient_funds')).then([declined('insufficient_funds')]);
      given
        .when(recordDeclined('authentication_required', null))
        .then([declined('authentication_required', null)]);
    });

    it('records a void: cancelled at the provider before any authorization', () => {
      given.when(recordVoided()).then([voided()]);
    });

    it('rejects a capture or a refund', () => {
      given.when(recordCaptured()).thenThrows(PaymentNotCapturable);
      given.when(recordRefunded('r-1', 're_1', eur(1))).thenThrows(PaymentNotRefundable);
    });
  });

  describe('when authorized', () => {
    const given = spec.given(authorizedHistory);

    it('ignores the same authorization webhook again', () => {
      given.when(recordAuthorized()).thenNothingHappens();
    });

    it('rejects an authorization under another provider id or amount', () => {
      given.when(recordAuthorized('pi_other')).thenThrows(PaymentNotAuthorizable);
      given.when(recordAuthorized(pi, eur(1))).thenThrows(PaymentNotAuthorizable);
    });

    it('ignores a stale decline that arrives after the authorization', () => {
      given.when(recordDeclined()).thenNothingHappens();
    });

    it('records a capture of up to the authorized amount', () => {
      given.when(recordCaptured()).then([captured()]);
      given.when(recordCaptured(eur(3000))).then([captured(eur(3000))]);
    });

    it('rejects a capture above the authorized amount, of nothing, or in another currency', () => {
      given.when(recordCaptured(eur(3295))).thenThrows(PaymentAmountMismatch, 'amount');
      given.when(recordCaptured(eur(0))).thenThrows(PaymentAmountMismatch, 'amount');
      given
        .when(recordCaptured({ amount: 3294, currency: 'USD' }))
        .thenThrows(PaymentAmountMismatch, 'amount');
    });

    it('rejects a capture of another provider payment', () => {
      given
        .when(recordCaptured(eur(3294), 'pi_other'))
        .thenThrows(PaymentProviderMismatch, 'providerPaymentId');
    });

    it('records a void', () => {
      given.when(recordVoided()).then([voided()]);
    });

    it('rejects a void of another provider payment', () => {
      given.when(recordVoided('pi_other')).thenThrows(PaymentProviderMismatch, 'providerPaymentId');
    });

    it('rejects a refund before the capture', () => {
      given.when(recordRefunded('r-1', 're_1', eur(1))).thenThrows(PaymentNotRefundable);
    });
  });

  describe('when declined', () => {
    const given = spec.given([initiated, declined()]);

    it('ignores a repeated decline', () => {
      given.when(recordDeclined()).thenNothingHappens();
      given.when(recordDeclined('expired_card')).thenNothingHappens();
    });

    it('rejects an authorization: declined is final', () => {
      given.when(recordAuthorized()).thenThrows(PaymentNotAuthorizable);
    });

    it('rejects a capture, a void or a refund', () => {
      given.when(recordCaptured()).thenThrows(PaymentNotCapturable);
      given.when(recordVoided()).thenThrows(PaymentNotVoidable);
      given.when(recordRefunded('r-1', 're_1', eur(1))).thenThrows(PaymentNotRefundable);
    });

    it('ignores the same initiation again', () => {
      given.when(initiate()).thenNothingHappens();
    });
  });

  describe('when voided', () => {
    const given = spec.given([...authorizedHistory, voided()]);

    it('ignores the same void again, and rejects a void of another provider payment', () => {
      given.when(recordVoided()).thenNothingHappens();
      given.when(recordVoided('pi_other')).thenThrows(PaymentProviderMismatch, 'providerPaymentId');
    });

    it('ignores a replay of the authorization it had, and rejects any other', () => {
      given.when(recordAuthorized()).thenNothingHappens();
      given.when(recordAuthorized('pi_other')).thenThrows(PaymentNotAuthorizable);
    });

    it('rejects an authorization when it was voided before any', () => {
      spec.given([initiated, voided()]).when(recordAuthorized()).thenThrows(PaymentNotAuthorizable);
    });

    it('rejects a capture or a refund', () => {
      given.when(recordCaptured()).thenThrows(PaymentNotCapturable);
      given.when(recordRefunded('r-1', 're_1', eur(1))).thenThrows(PaymentNotRefundable);
    });

    it('ignores a stale decline', () => {
      given.when(recordDeclined()).thenNothingHappens();
    });
  });

  describe('when captured', () => {
    const given = spec.given(capturedHistory);

    it('ignores the same capture webhook again, and the authorization before it', () => {
      given.when(recordCaptured()).thenNothingHappens();
      given.when(recordAuthorized()).thenNothingHappens();
    });

    it('rejects another capture amount', () => {
      given.when(recordCaptured(eur(100))).thenThrows(PaymentAlreadyCaptured);
    });

    it('rejects a void', () => {
      given.when(recordVoided()).thenThrows(PaymentAlreadyCaptured);
    });

    it('records a partial refund, then the rest', () => {
      given.when(recordRefunded('r-1', 're_1', eur(1000))).then([refunded('r-1', 're_1', eur(1000))]);
      spec
        .given([...capturedHistory, refunded('r-1', 're_1', eur(1000))])
        .when(recordRefunded('r-2', 're_2', eur(2294)))
        .then([refunded('r-2', 're_2', eur(2294))]);
    });

    it('keeps refunds in total at or below what was captured', () => {
      given.when(recordRefunded('r-1', 're_1', eur(3295))).thenThrows(PaymentRefundExceedsCaptured, 'amount');
      spec
        .given([...capturedHistory, refunded('r-1', 're_1', eur(3000))])
        .when(recordRefunded('r-2', 're_2', eur(295)))
        .thenThrows(PaymentRefundExceedsCaptured, 'amount');
      spec
        .given([initiated, authorized(), captured(eur(2000))])
        .when(recordRefunded('r-1', 're_1', eur(2001)))
        .thenThrows(PaymentRefundExceedsCaptured, 'amount');
    });

    it('ignores the same provider refund again, and rejects it with other details', () => {
      const history = [...capturedHistory, refunded('r-1', 're_1', eur(1000))];
      spec
        .given(history)
        .when(recordRefunded('r-1', 're_1', eur(1000)))
        .thenNothingHappens();
      spec
        .given(history)
        .when(recordRefunded('r-1', 're_1', eur(999)))
        .thenThrows(PaymentRefundConflict, 'providerRefundId');
      spec
        .given(history)
        .when(recordRefunded('r-9', 're_1', eur(1000)))
        .thenThrows(PaymentRefundConflict, 'providerRefundId');
    });

    it('rejects a refund of nothing, in another currency, or without ids', () => {
      given.when(recordRefunded('r-1', 're_1', eur(0))).thenThrows(PaymentAmountMismatch, 'amount');
      given
        .when(recordRefunded('r-1', 're_1', { amount: 10, currency: 'USD' }))
        .thenThrows(PaymentAmountMismatch, 'amount');
      given.when(recordRefunded('', 're_1', eur(1))).thenThrows(IncompletePaymentDetails, 'refundId');
      given.when(recordRefunded('r-1', '', eur(1))).thenThrows(IncompletePaymentDetails, 'providerRefundId');
    });

    it('ignores a stale decline', () => {
      given.when(recordDeclined()).thenNothingHappens();
    });
  });

  describe('a replayed webhook changes nothing', () => {
    const webhooks: [string, PaymentCommand][] = [
      ['authorized', recordAuthorized()],
      ['captured', recordCaptured()],
      ['refunded', recordRefunded('r-1', 're_1', eur(500))],
    ];

    it('after every transition, replaying it or any earlier webhook yields no event', () => {
      const history: PaymentEvent[] = [initiated];
      webhooks.forEach(([, webhook], i) => {
        history.push(...paymentDecider.decide(webhook, fold(history)));
        for (const [, earlier] of webhooks.slice(0, i + 1)) {
          expect(paymentDecider.decide(earlier, fold(history))).toEqual([]);
        }
      });
      expect(history.map((event) => event.type)).toEqual([
        'PaymentInitiated',
        'PaymentAuthorized',
        'PaymentCaptured',
        'PaymentRefunded',
      ]);
    });
  });

  describe('isTerminal', () => {
    it.each<[string, PaymentEvent[], boolean]>([
      ['never initiated', [], false],
      ['initiated', [initiated], false],
      ['authorized', authorizedHistory, false],
      ['captured', capturedHistory, false],
      ['partly refunded', [...capturedHistory, refunded('r-1', 're_1', eur(1))], false],
      ['fully refunded', [...capturedHistory, refunded('r-1', 're_1', eur(3294))], true],
      ['declined', [initiated, declined()], true],
      ['voided', [...authorizedHistory, voided()], true],
    ])('is %s: %p', (_, history, terminal) => {
      expect(paymentDecider.isTerminal(fold(history))).toBe(terminal);
    });
  });

  describe('evolve', () => {
    it('starts with no payment', () => {
      spec.given([]).thenState({ status: 'none' });
    });

    it('folds each transition, keeping the authorized amount', () => {
      spec.given([initiated]).thenState({ status: 'initiated', ...initiateData });
      spec
        .given(authorizedHistory)
        .thenState({ status: 'authorized', ...initiateData, providerPaymentId: pi, authorized: eur(3294) });
      spec.given([...authorizedHistory, captured(eur(3000)), refunded('r-1', 're_1', eur(10))]).thenState({
        status: 'captured',
        ...initiateData,
        providerPaymentId: pi,
        authorized: eur(3294),
        captured: eur(3000),
        refunds: [{ refundId: 'r-1', providerRefundId: 're_1', amount: eur(10) }],
      });
      spec
        .given([...authorizedHistory, voided()])
        .thenState({ status: 'voided', ...initiateData, providerPaymentId: pi, authorized: eur(3294) });
      spec
        .given([initiated, voided('pi_x')])
        .thenState({ status: 'voided', ...initiateData, providerPaymentId: 'pi_x', authorized: null });
      spec.given([initiated, declined('expired_card', null)]).thenState({
        status: 'declined',
        ...initiateData,
        providerPaymentId: null,
        reason: 'expired_card',
        message: 'Your card was declined.',
      });
    });

    it('never throws, even on a history without PaymentInitiated', () => {
      spec.given([authorized(), captured(), refunded('r', 're', eur(1))]).thenState({ status: 'none' });
    });

    it('ignores an event type it does not know', () => {
      const unknown = { type: 'PaymentTeleported', data: { paymentId } } as unknown as PaymentEvent;
      spec.given([initiated, unknown]).thenState({ status: 'initiated', ...initiateData });
    });
  });

  describe('paymentStatus and paymentView', () => {
    it('is null for a payment never initiated', () => {
      expect(paymentStatus(fold([]))).toBeNull();
      expect(paymentView(fold([]))).toBeNull();
    });

    it('shows amounts and refunds of a captured payment', () => {
      const history = [...capturedHistory, refunded('r-1', 're_1', eur(1000))];
      expect(paymentStatus(fold(history))).toBe('captured');
      expect(paymentView(fold(history))).toEqual({
        paymentId,
        orderId,
        status: 'captured',
        provider: 'stripe',
        amount: eur(3294),
        providerPaymentId: pi,
        authorized: eur(3294),
        captured: eur(3294),
        refunds: [{ refundId: 'r-1', providerRefundId: 're_1', amount: eur(1000) }],
        refunded: eur(1000),
        declineReason: null,
        declineMessage: null,
      });
    });

    it("shows the provider's reason for a decline", () => {
      expect(paymentView(fold([initiated, declined('insufficient_funds')]))).toMatchObject({
        status: 'declined',
        authorized: null,
        captured: null,
        refunded: eur(0),
        declineReason: 'insufficient_funds',
      });
    });
  });
});

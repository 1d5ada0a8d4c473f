import { type PaymentWebhookEvent, WebhookPayloadInvalid } from '../payment-provider.port';
import { parseSimulatedWebhookBody, simulatedWebhookBody } from './simulated-webhooks';

const ids = { paymentId: 'pay-1', orderId: 'ord-1', providerPaymentId: 'pi_sim_1' };
const eur = (amount: number) => ({ amount, currency: 'EUR' });
const at = new Date('2026-03-01T12:00:00Z');

describe('simulated webhook bodies', () => {
  it.each<Exclude<PaymentWebhookEvent, { kind: 'ignored' }>>([
    { providerEventId: 'evt_a', kind: 'authorized', ...ids, amount: eur(1200) },
    { providerEventId: 'evt_d', kind: 'declined', ...ids, reason: 'card_declined', message: 'No.' },
    { providerEventId: 'evt_c', kind: 'captured', ...ids, amount: eur(1000) },
    { providerEventId: 'evt_v', kind: 'voided', ...ids },
    {
      providerEventId: 'evt_r',
      kind: 'refunded',
      ...ids,
      providerRefundId: 're_sim_1',
      refundId: 'ref-1',
      amount: eur(300),
    },
  ])('round-trips a $kind event through a Stripe-style envelope', (event) => {
    const body = simulatedWebhookBody(event, at);
    expect(body).toMatchObject({
      id: event.providerEventId,
      object: 'event',
      type: `payment.${event.kind}`,
      created: at.getTime() / 1000,
    });
    expect(parseSimulatedWebhookBody(JSON.stringify(body))).toEqual(event);
  });

  it('acknowledges an event type it does not act on as ignored', () => {
    const body = JSON.stringify({ id: 'evt_x', type: 'payment.disputed', data: {} });
    expect(parseSimulatedWebhookBody(body)).toEqual({
      kind: 'ignored',
      providerEventId: 'evt_x',
      type: 'payment.disputed',
    });
  });

  it('refuses a body that is not JSON', () => {
    expect(() => parseSimulatedWebhookBody('{not json')).toThrow(WebhookPayloadInvalid);
  });

  it('refuses a known event that lacks a field, naming it', () => {
    const body = JSON.stringify({
      id: 'evt_a',
      type: 'payment.authorized',
      data: { ...ids, amount: { amount: 'lots', currency: 'EUR' } },
    });
    expect(() => parseSimulatedWebhookBody(body)).toThrow(/data\.amount\.amount/);
  });
});

/**
 * Stripe's test PaymentMethod ids and test card numbers, and what the simulated provider does with each.
 * The ids and outcomes follow Stripe's testing documentation, so a storefront or a test written against
 * the simulated provider behaves the same in Stripe test mode.
 */

/** What authorizing with a test payment method leads to. */
export type SimulatedCardOutcome =
  | { readonly outcome: 'authorized' }
  | { readonly outcome: 'declined'; readonly reason: string; readonly message: string };

const succeeds: SimulatedCardOutcome = { outcome: 'authorized' };
const declines = (reason: string, message: string): SimulatedCardOutcome => ({
  outcome: 'declined',
  reason,
  message,
});

/**
 * Every test PaymentMethod id the simulated provider knows. Declines carry Stripe's reason code: the
 * `decline_code` when the issuer gave a specific one, else the error `code` (`card_declined` for a generic
 * decline), the same rule the Stripe adapter applies.
 */
export const SIMULATED_PAYMENT_METHODS: ReadonlyMap<string, SimulatedCardOutcome> = new Map(
  Object.entries({
    pm_card_visa: succeeds,
    pm_card_visa_debit: succeeds,
    pm_card_mastercard: succeeds,
    pm_card_mastercard_debit: succeeds,
    pm_card_mastercard_prepaid: succeeds,
    pm_card_amex: succeeds,
    pm_card_discover: succeeds,
    pm_card_diners: succeeds,
    pm_card_jcb: succeeds,
    pm_card_unionpay: succeeds,
    pm_card_chargeDeclined: declines('card_declined', 'Your card was declined.'),
    pm_card_chargeDeclinedInsufficientFunds: declines(
      'insufficient_funds',
      'Your card has insufficient funds.',
    ),
    pm_card_chargeDeclinedLostCard: declines('lost_card', 'Your card was declined.'),
    pm_card_chargeDeclinedStolenCard: declines('stolen_card', 'Your card was declined.'),
    pm_card_chargeDeclinedExpiredCard: declines('expired_card', 'Your card has expired.'),
    pm_card_chargeDeclinedIncorrectCvc: declines('incorrect_cvc', "Your card's security code is incorrect."),
    pm_card_chargeDeclinedProcessingError: declines(
      'processing_error',
      'An error occurred while processing your card. Try again in a little bit.',
    ),
    // Tally has no 3-D Secure step (see ADR 0007): a card that insists on it is declined, as Stripe does
    // when a payment is confirmed with `error_on_requires_action`.
    pm_card_authenticationRequired: declines(
      'authentication_required',
      'Your card was declined. This transaction requires authentication.',
    ),
  }),
);

/** The outcome of authorizing with `paymentMethodId`; an unknown id is refused as Stripe refuses it. */
export function simulatedCardOutcome(paymentMethodId: string): SimulatedCardOutcome {
  return (
    SIMULATED_PAYMENT_METHODS.get(paymentMethodId) ??
    declines('resource_missing', `No such PaymentMethod: '${paymentMethodId}'`)
  );
}

export { simulatedPaymentMethodForCard } from './test-cards';

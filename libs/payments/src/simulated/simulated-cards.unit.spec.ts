import { simulatedCardOutcome, simulatedPaymentMethodForCard } from './simulated-cards';

describe('simulated test cards', () => {
  describe('simulatedPaymentMethodForCard', () => {
    it.each([
      ['4242 4242 4242 4242', 'pm_card_visa'],
      ['4000 0000 0000 0002', 'pm_card_chargeDeclined'],
      ['4000 0000 0000 9995', 'pm_card_chargeDeclinedInsufficientFunds'],
      ['4000 0000 0000 3220', 'pm_card_authenticationRequired'],
      ['5555-5555-5555-4444', 'pm_card_mastercard'],
      ['4242424242424242', 'pm_card_visa'],
    ])('maps %s to %s', (cardNumber, paymentMethodId) => {
      expect(simulatedPaymentMethodForCard(cardNumber)).toBe(paymentMethodId);
    });

    it.each(['4111 1111 1111 1111', '', '4242', 'constructor', '__proto__'])(
      'maps any other number (%j) to null',
      (cardNumber) => {
        expect(simulatedPaymentMethodForCard(cardNumber)).toBeNull();
      },
    );
  });

  describe('simulatedCardOutcome', () => {
    it.each(['pm_card_visa', 'pm_card_mastercard', 'pm_card_amex'])('authorizes %s', (id) => {
      expect(simulatedCardOutcome(id)).toEqual({ outcome: 'authorized' });
    });

    it.each([
      ['pm_card_chargeDeclined', 'card_declined'],
      ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
      ['pm_card_authenticationRequired', 'authentication_required'],
      ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
      ['pm_card_chargeDeclinedProcessingError', 'processing_error'],
    ])('declines %s with %s', (id, reason) => {
      expect(simulatedCardOutcome(id)).toMatchObject({ outcome: 'declined', reason });
    });

    it('refuses an unknown payment method as Stripe does (resource_missing)', () => {
      expect(simulatedCardOutcome('pm_nonexistent')).toMatchObject({
        outcome: 'declined',
        reason: 'resource_missing',
      });
      expect(simulatedCardOutcome('toString')).toMatchObject({ reason: 'resource_missing' });
    });
  });
});

import { checkCvc, checkExpiry, simulatedPaymentMethodForCard } from './cards';

describe('simulated card form', () => {
  it("maps Stripe's test numbers to the simulated provider's payment methods", () => {
    expect(simulatedPaymentMethodForCard('4242 4242 4242 4242')).toBe('pm_card_visa');
    expect(simulatedPaymentMethodForCard('4000-0000-0000-0002')).toBe('pm_card_chargeDeclined');
  });

  it('maps no other number', () => {
    expect(simulatedPaymentMethodForCard('4111 1111 1111 1111')).toBeNull();
    expect(simulatedPaymentMethodForCard('')).toBeNull();
  });

  it('checks expiry and CVC', () => {
    const now = new Date('2026-11-21T00:00:00Z');
    expect(checkExpiry('12/30', now)).toBeUndefined();
    expect(checkExpiry('11/26', now)).toBeUndefined();
    expect(checkExpiry('10/26', now)).toBe('This card has expired.');
    expect(checkExpiry('13/30', now)).toBe('Enter a month from 01 to 12.');
    expect(checkExpiry('soon', now)).toBe('Enter the expiry as MM/YY.');
    expect(checkCvc('123')).toBeUndefined();
    expect(checkCvc('12a')).toBeDefined();
  });
});

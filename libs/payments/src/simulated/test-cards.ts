// Dependency-free on purpose: the storefront's own build imports this file too, so the card form and the
// simulated provider cannot disagree about which number stands for which outcome.

/** Stripe's test card numbers, each with the test PaymentMethod id that behaves like it. */
const TEST_CARDS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    '4242424242424242': 'pm_card_visa',
    '4000056655665556': 'pm_card_visa_debit',
    '5555555555554444': 'pm_card_mastercard',
    '5200828282828210': 'pm_card_mastercard_debit',
    '5105105105105100': 'pm_card_mastercard_prepaid',
    '378282246310005': 'pm_card_amex',
    '6011111111111117': 'pm_card_discover',
    '3056930009020004': 'pm_card_diners',
    '3566002020360505': 'pm_card_jcb',
    '6200000000000005': 'pm_card_unionpay',
    '4000000000000002': 'pm_card_chargeDeclined',
    '4000000000009995': 'pm_card_chargeDeclinedInsufficientFunds',
    '4000000000009987': 'pm_card_chargeDeclinedLostCard',
    '4000000000009979': 'pm_card_chargeDeclinedStolenCard',
    '4000000000000069': 'pm_card_chargeDeclinedExpiredCard',
    '4000000000000127': 'pm_card_chargeDeclinedIncorrectCvc',
    '4000000000000119': 'pm_card_chargeDeclinedProcessingError',
    '4000000000003220': 'pm_card_authenticationRequired',
  }),
);

/**
 * For the storefront's simulated card form: the test PaymentMethod id standing for one of Stripe's test
 * card numbers (spaces and dashes ignored), or null for any other number. Only test numbers map, so a
 * real card number typed into the simulated form goes nowhere.
 */
export function simulatedPaymentMethodForCard(cardNumber: string): string | null {
  const digits = cardNumber.replace(/[\s-]/g, '');
  return TEST_CARDS.get(digits) ?? null;
}

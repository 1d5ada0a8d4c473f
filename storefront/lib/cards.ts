/**
 * The simulated provider's card form: Stripe's test card numbers and the test PaymentMethod ids that stand
 * for them. A copy of the table in libs/payments/src/simulated/simulated-cards.ts (the storefront bundle
 * does not import the Nest-side libraries); only test numbers map, so a real card number goes nowhere.
 */
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

/** The test PaymentMethod id for a test card number (spaces and dashes ignored), or null. */
export function simulatedPaymentMethodForCard(cardNumber: string): string | null {
  return TEST_CARDS.get(cardNumber.replace(/[\s-]/g, '')) ?? null;
}

/** `MM/YY` or `MM / YYYY` not in the past (at `now`), else a message. */
export function checkExpiry(expiry: string, now: Date): string | undefined {
  const match = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(expiry);
  if (!match) return 'Enter the expiry as MM/YY.';
  const [, monthText = '', yearText = ''] = match;
  const month = Number(monthText);
  const year = yearText.length === 2 ? 2000 + Number(yearText) : Number(yearText);
  if (month < 1 || month > 12) return 'Enter a month from 01 to 12.';
  const endOfMonth = Date.UTC(year, month, 1);
  if (endOfMonth <= now.getTime()) return 'This card has expired.';
  return undefined;
}

/** Three or four digits, else a message. */
export function checkCvc(cvc: string): string | undefined {
  return /^\d{3,4}$/.test(cvc.trim()) ? undefined : 'Enter the 3 or 4 digits on the back of the card.';
}

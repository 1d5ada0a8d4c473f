/**
 * The simulated provider's card form maps Stripe's test card numbers to the test PaymentMethod ids that stand
 * for them: the provider's own table, so the two cannot drift. Only test numbers map, so a real card number
 * goes nowhere.
 */
// eslint-disable-next-line no-restricted-imports -- the storefront is built apart from the Nest libs; this one file has no dependencies.
export { simulatedPaymentMethodForCard } from '../../libs/payments/src/simulated/test-cards';

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

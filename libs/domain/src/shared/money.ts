/** An amount of money in minor units (cents) of an ISO-4217 currency. Never a float. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** Builds a {@link Money} value. */
export function money(amount: number, currency: string): Money {
  return { amount, currency };
}

/** Sum of two amounts of the same currency; throws on a currency mix (a programming error, not a business rule). */
export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new RangeError(`Cannot add ${a.currency} to ${b.currency}`);
  return { amount: a.amount + b.amount, currency: a.currency };
}

/** `a` times a whole `factor`, e.g. a line total from a unit price and a quantity. */
export function multiplyMoney(a: Money, factor: number): Money {
  return { amount: a.amount * factor, currency: a.currency };
}

/** Largest price a single unit may have: one hundred million in major units, in minor units. */
export const MAX_UNIT_PRICE_AMOUNT = 100_000_000_00;

/** True when `code` is shaped like an ISO-4217 currency code: three uppercase Latin letters (`EUR`). */
export function isCurrencyCode(code: string): boolean {
  return /^[A-Z]{3}$/.test(code);
}

/** True when `amount` is a whole, positive number of minor units no greater than {@link MAX_UNIT_PRICE_AMOUNT}. */
export function isUnitPriceAmount(amount: number): boolean {
  return Number.isSafeInteger(amount) && amount > 0 && amount <= MAX_UNIT_PRICE_AMOUNT;
}

/** True when both amount and currency are equal. */
export function sameMoney(a: Money, b: Money): boolean {
  return a.amount === b.amount && a.currency === b.currency;
}

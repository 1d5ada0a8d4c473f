/** An amount of money in minor units (cents) of an ISO-4217 currency. Never a float. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export function money(amount: number, currency: string): Money {
  return { amount, currency };
}

export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new RangeError(`Cannot add ${a.currency} to ${b.currency}`);
  return { amount: a.amount + b.amount, currency: a.currency };
}

export function multiplyMoney(a: Money, factor: number): Money {
  return { amount: a.amount * factor, currency: a.currency };
}

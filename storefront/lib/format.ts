/** Amounts in minor units with their ISO 4217 currency, as every API sends them. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string): Intl.NumberFormat {
  let formatter = formatters.get(currency);
  if (!formatter) {
    formatter = new Intl.NumberFormat('en-GB', { style: 'currency', currency });
    formatters.set(currency, formatter);
  }
  return formatter;
}

/** Minor-unit digits of a currency: 2 for EUR, 0 for JPY. */
function minorDigits(currency: string): number {
  return formatterFor(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** `€12.50`: a price for people, from minor units. */
export function formatMoney(money: Money): string {
  return formatterFor(money.currency).format(money.amount / 10 ** minorDigits(money.currency));
}

/** `12.50`: the decimal amount, for machines (JSON-LD offers). */
export function decimalAmount(money: Money): string {
  const digits = minorDigits(money.currency);
  return (money.amount / 10 ** digits).toFixed(digits);
}

/** `21 Nov 2026, 09:30` in UTC, so server and browser agree. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat('en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'UTC',
  }).format(date);
}

/** The URL slug of a category name: `Running shoes` -> `running-shoes`. */
export function categorySlug(category: string): string {
  return category
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\p{Letter}\p{Number}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
}

/** Stock state as the product page says it. */
export function stockText(available: number): string {
  if (available <= 0) return 'Out of stock';
  if (available <= 5) return `Only ${available} left`;
  return 'In stock';
}

/** What a shopper reads for an order's status (the UI contract's words). */
export function orderStatusText(status: string, paymentStatus?: string): string {
  if (paymentStatus === 'refunded') return 'Refunded';
  switch (status) {
    case 'pending':
      return paymentStatus === 'initiated' || paymentStatus === 'declined' ? 'Awaiting payment' : 'Placed';
    case 'confirmed':
      return 'Confirmed';
    case 'shipped':
      return 'Shipped';
    case 'delivered':
      return 'Delivered';
    case 'cancelled':
      return 'Cancelled';
    default:
      return 'Placed';
  }
}

/** Nest token of the {@link import('@tally/payments').PaymentProvider} command-api moves money with. */
export const PAYMENT_PROVIDER = Symbol('PAYMENT_PROVIDER');

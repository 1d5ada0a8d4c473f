// The payments bounded context: one payment per order, its provider transitions. The only way in.
export * from './payment/payment.commands';
export * from './payment/payment.events';

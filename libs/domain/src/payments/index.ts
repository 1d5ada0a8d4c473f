// The payments bounded context: one payment per order, its provider transitions. The only way in.
export * from './payment/payment.commands';
export * from './payment/payment.events';
export * from './payment/payment.state';
export * from './payment/payment.errors';
export * from './payment/payment.decider';

// The ordering bounded context: orders from placement to delivery and refund. The only way in.
export * from './order/order.commands';
export * from './order/order.events';
export * from './order/order.state';
export * from './order/order.errors';
export * from './order/order.decider';

// The cart bounded context: shopping carts up to checkout. The only way in.
export * from './cart/cart.commands';
export * from './cart/cart.events';
export * from './cart/cart.state';
export * from './cart/cart.errors';
export * from './cart/cart.decider';
export * from './cart/cart.access';

// The catalog bounded context: products, their prices and their lifecycle. The only way in.
export * from './product/product.commands';
export * from './product/product.events';
export * from './product/product.state';
export * from './product/product.errors';
export * from './product/product.decider';

// The checkout process: from a checked-out cart to a confirmed (or compensated) order. The only way in.
export * from './checkout.types';
export * from './checkout.state';
export * from './checkout.process';

// The pure domain of Tally: shared decider vocabulary and one entry per bounded context.
export * from './shared';
export * from './catalog';
export * from './inventory';
export * from './cart';
export * from './ordering';
export * from './payments';
export * from './checkout';
export * from './identity';
export * from './search';
export * from './audit';

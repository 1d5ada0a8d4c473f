export * from './decider';
export * from './errors';
export * from './money';
export * from './process-manager';
export * from './shipping';
export * from './time';

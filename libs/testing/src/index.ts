export * from './test-database';
export * from './tally-process';

export * from './test-database';
export * from './tally-process';
export * from './shop';
export * from './auth';
export * from './events';
export * from './test-warehouse';
export * from './test-infrastructure';

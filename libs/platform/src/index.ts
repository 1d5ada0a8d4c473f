export * from './auth';
export * from './config/config';
export * from './config/shipping-methods';
export * from './health/health.controller';
export * from './http/create-http-app';
export * from './http/problem';
export * from './http/problem-details.filter';
export * from './http/validation';
// Event ids are UUID v7, minted by the writer: the event store owns the generator; the edge uses it too.
export { isUuid, uuidv7 } from '@tally/event-store';
export * from './infrastructure';
export * from './logging/logger';
export * from './tokens';
export * from './run-app';

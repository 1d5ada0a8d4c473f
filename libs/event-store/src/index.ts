export * from './event-store.port';
export * from './errors';
export { compareCheckpoints, maxCheckpoint } from './checkpoint';
export {
  PostgresEventStore,
  type PostgresEventStoreOptions,
  type VisibilityLag,
} from './postgres/postgres-event-store';
export {
  encodePostgresCheckpoint,
  decodePostgresCheckpoint,
  type PostgresLogPosition,
} from './postgres/postgres-checkpoint';
export { APPEND_ONLY_VIOLATION, eventStoreMigrations } from './postgres/event-store.migrations';
export { registerEventStoreMetrics, type VisibilityLagSource } from './postgres/event-store.metrics';
export {
  EventStoreDbEventStore,
  encodeEventStoreDbCheckpoint,
  decodeEventStoreDbCheckpoint,
} from './eventstoredb/eventstoredb-event-store';
export * from './event-id';

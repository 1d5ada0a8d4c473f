export { auditMigrations } from './audit.migrations';
export * from './merkle';
export * from './checkpoint-format';
export * from './export';
export * from './signing-key';
export * from './checkpoints';
export * from './verify-log';

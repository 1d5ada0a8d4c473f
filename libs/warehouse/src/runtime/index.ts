export * from './open-warehouse';
export * from './analyst-role';
export * from './schema-scoped-sql-client';
export * from './warehouse-settings';

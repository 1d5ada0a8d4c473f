export * from './sql-client.port';
export * from './pg-sql-client';
export * from './pglite-sql-client';
export * from './migrator';
export * from './open-sql-client';

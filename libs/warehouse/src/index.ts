export * from './warehouse.schema';
export * from './warehouse.tokens';

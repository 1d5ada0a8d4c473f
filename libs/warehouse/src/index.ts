export { refreshWarehouseAggregates, WAREHOUSE_AGGREGATES } from './aggregates/warehouse-aggregates';
export * from './warehouse.schema';
export * from './warehouse.tokens';
export * from './export';
export * from './projection';
export * from './runtime';
export * from './views/warehouse.views';
export * from './metrics/warehouse-metrics';

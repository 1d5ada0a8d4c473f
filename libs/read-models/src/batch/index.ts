export * from './sql-rows';
export * from './statement-pipeline';
export * from './table-digest';

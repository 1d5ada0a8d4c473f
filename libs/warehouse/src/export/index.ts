export * from './warehouse-export';
export { type ExportColumn, type ExportColumnType, exportColumnType } from './export-columns';
export { csvRecord, type ExportRow } from './csv-sink';
export { parquetSchema } from './parquet-sink';

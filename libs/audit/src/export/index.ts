export {
  exportAuditLog,
  type AuditExportOptions,
  type AuditExportResult,
  NoCoveringCheckpointError,
  CheckpointMismatchError,
} from './audit-export';
export * from './export-format';
export { PackedMerkleTree } from './packed-merkle-tree';

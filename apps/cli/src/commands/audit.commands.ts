import type { CliCommand } from '../cli';
import { auditCheckpointCommand } from './audit-checkpoint.command';
import { auditExportCommand } from './audit-export.command';
import { auditVerifyExportCommand } from './audit-verify-export.command';
import { auditVerifyCommand } from './audit-verify.command';

/** `audit verify | checkpoint | export | verify-export`. */
export const auditCommands: readonly CliCommand[] = [
  auditVerifyCommand,
  auditCheckpointCommand,
  auditExportCommand,
  auditVerifyExportCommand,
];

import type { CliCommand } from '../cli';
import { auditCommands } from './audit.commands';
import { projectionCommands } from './projections.commands';
import { warehouseCommands } from './warehouse.commands';

/** Every `npm run tally` command. */
export const commands: readonly CliCommand[] = [
  ...auditCommands,
  ...projectionCommands,
  ...warehouseCommands,
];

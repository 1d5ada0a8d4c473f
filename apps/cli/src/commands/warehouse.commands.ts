import type { CliCommand } from '../cli';
import { warehouseExportCommand } from './warehouse-export.command';

/** `warehouse export`. */
export const warehouseCommands: readonly CliCommand[] = [warehouseExportCommand];

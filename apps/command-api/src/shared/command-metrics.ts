import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@tally/platform';
import { Counter, type Registry } from 'prom-client';

/** How a command ended, as counted in `tally_commands_total{outcome}`. */
export type CommandOutcomeLabel =
  'appended' | 'noop' | 'duplicate' | 'rejected' | 'version_mismatch' | 'conflict' | 'error';

/** Command counters on the app's own registry (one per app instance, so embedded mode can run several). */
@Injectable()
export class CommandMetrics {
  private readonly commands: Counter<'type' | 'outcome'>;
  private readonly retries: Counter<'type'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.commands = new Counter({
      name: 'tally_commands_total',
      help: 'Commands executed, by command type and outcome',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'tally_command_retries_total',
      help: 'Commands decided again after losing an optimistic-concurrency race, by command type',
      labelNames: ['type'],
      registers: [registry],
    });
  }

  counted(type: string, outcome: CommandOutcomeLabel): void {
    this.commands.inc({ type, outcome });
  }

  retried(type: string): void {
    this.retries.inc({ type });
  }
}

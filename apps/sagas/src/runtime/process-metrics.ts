import { Counter, Gauge, type Registry } from 'prom-client';
import type { ProcessTables } from './process-tables';

/** What became of one input event. */
export type ProcessEventOutcome = 'recorded' | 'duplicate' | 'ignored' | 'failed';
/** What became of one command: applied (or already applied), refused by a domain rule, or not delivered. */
export type ProcessCommandOutcome = 'accepted' | 'rejected' | 'failed';

/**
 * The sagas app's metrics. Counters count this process's work; the gauges read the tables at scrape time, so
 * they are right whichever sagas process did the work.
 */
export class ProcessMetrics {
  private readonly events: Counter<'process' | 'outcome'>;
  private readonly commands: Counter<'type' | 'outcome'>;

  constructor(registry: Registry, tables: ProcessTables, processes: readonly string[]) {
    this.events = new Counter({
      name: 'tally_process_events_total',
      help: 'Input events handled by process managers, by process and outcome (recorded, duplicate, ignored, failed)',
      labelNames: ['process', 'outcome'],
      registers: [registry],
    });
    this.commands = new Counter({
      name: 'tally_process_commands_total',
      help: 'Commands sent by process managers, by command type and outcome (accepted, rejected, failed)',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    });
    const active = new Gauge({
      name: 'tally_process_active_instances',
      help: 'Process instances that are not finished, by process',
      labelNames: ['process'],
      registers: [registry],
      async collect() {
        const counts = await tables.instanceCounts().catch(() => undefined);
        if (!counts) return;
        for (const process of processes) {
          active.set({ process }, counts.find((row) => row.process === process)?.active ?? 0);
        }
      },
    });
    const pending = new Gauge({
      name: 'tally_process_timeouts_pending',
      help: 'Scheduled process timeouts that have neither fired nor been cancelled',
      registers: [registry],
      async collect() {
        const value = await tables.pendingTimeouts().catch(() => undefined);
        if (value !== undefined) pending.set(value);
      },
    });
    for (const process of processes) active.set({ process }, 0);
  }

  event(process: string, outcome: ProcessEventOutcome): void {
    this.events.inc({ process, outcome });
  }

  command(type: string, outcome: ProcessCommandOutcome): void {
    this.commands.inc({ type, outcome });
  }
}

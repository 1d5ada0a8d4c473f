import type { ConsumerStatus } from './consumer-metrics';
import type { RunningConsumer } from './event-consumer-host';

/** What a consumer host runs per consumer name. */
export interface ConsumerWorker {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): ConsumerStatus;
}

/**
 * The workers one host started, at most one per consumer name in this process (per-partition order assumes
 * a single running instance per name). Shared by the JetStream and in-process hosts.
 */
export class ConsumerWorkers<Worker extends ConsumerWorker> {
  private readonly workers = new Set<Worker>();

  /** Refuses a second worker of the same name before anything is built. */
  assertNotRunning(name: string): void {
    if ([...this.workers].some((worker) => worker.name === name)) {
      throw new Error(`Consumer ${name} is already running in this process`);
    }
  }

  /** Starts the worker and hands back the handle that stops it. */
  async run(worker: Worker): Promise<RunningConsumer> {
    this.workers.add(worker);
    await worker.start();
    return {
      stop: async () => {
        await worker.stop();
        this.workers.delete(worker);
      },
    };
  }

  status(): ConsumerStatus[] {
    return [...this.workers].map((worker) => worker.status());
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.stop()));
    this.workers.clear();
  }
}

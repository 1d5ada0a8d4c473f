import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MigrationSet } from '@tally/database';
import { type CommandSender, messagingMigrations, NatsCommandSender, StoppedError } from '@tally/messaging';
import { type AppConfig, createHttpApp, type Infrastructure, type Logger } from '@tally/platform';
import type { Registry } from 'prom-client';
import { checkoutDefinition } from './checkout/checkout.definition';
import { DeferredJetStreamConsumers } from './deferred-jetstream-consumers';
import { ProcessManagersController } from './process-managers.controller';
import type { AnyProcessDefinition } from './runtime/process-definition';
import { type ObservableConsumerHost, ProcessHost } from './runtime/process-host';
import { ProcessTables } from './runtime/process-tables';
import { sagasOwnMigrations } from './sagas.migrations';

/** The sagas app's tables, and messaging's (the in-process consumers' checkpoints in embedded mode). */
export const sagasMigrations: readonly MigrationSet[] = [messagingMigrations, sagasOwnMigrations];

/** What the sagas app runs on; each defaults to the full-mode choice (NATS) when omitted. */
export interface SagasDependencies {
  /**
   * Where process inputs come from, or a factory given the app's metrics registry (for the consumers'
   * own metrics). Default: durable JetStream consumers over `NATS_URL`.
   */
  readonly consumers?: ObservableConsumerHost | ((registry: Registry) => ObservableConsumerHost);
  /** Where commands go. Default: NATS request/reply to command-api over `NATS_URL`. */
  readonly commands?: CommandSender;
  /** The process managers to run. Default: {@link defaultProcesses}. */
  readonly processes?: readonly AnyProcessDefinition[];
}

/** The process managers Tally runs, with their settings from configuration: checkout. */
export function defaultProcesses(config: AppConfig): AnyProcessDefinition[] {
  return [
    checkoutDefinition({
      paymentTimeoutMs: config.PAYMENT_TIMEOUT_MS,
      taxRateBasisPoints: config.TAX_RATE_BASIS_POINTS,
    }),
  ];
}

const SAGAS_RUNTIME = Symbol('SAGAS_RUNTIME');

/** What the lifecycle starts and stops: the host, and the NATS clients the app opened itself. */
interface SagasRuntime {
  readonly host: ProcessHost;
  readonly logger: Logger;
  /** Full mode: start in the background, since the consumers wait for NATS (readiness says so). */
  readonly startInBackground: boolean;
  readonly closeOwned: () => Promise<void>;
}

@Injectable()
class SagasLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private starting: Promise<void> | undefined;

  constructor(@Inject(SAGAS_RUNTIME) private readonly runtime: SagasRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    const { host, logger } = this.runtime;
    if (!this.runtime.startInBackground) return host.start();
    this.starting = host.start().catch((error: unknown) => {
      if (!(error instanceof StoppedError))
        logger.error({ err: error }, 'sagas: process managers did not start');
    });
  }

  /** Stops fetching and waits for the handlers in flight before the NATS clients and the database close. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.host.stop();
    await this.runtime.closeOwned();
    await this.starting;
  }
}

/**
 * The process-manager host (DESIGN.md §7, docs/adr/0009-process-manager-runtime.md): a durable consumer
 * feeds each registered process manager, which records what it observed in its own stream and sends
 * commands to command-api with deterministic ids; timeouts are rows in `process_timeouts`; unfinished
 * instances resume on start. Run on its own it uses NATS (`NATS_URL` is required); the embedded launcher
 * passes in-process consumers and the in-process command sender.
 */
export async function createSagas(
  infrastructure: Infrastructure,
  dependencies: SagasDependencies = {},
): Promise<NestFastifyApplication> {
  const { config } = infrastructure;
  const logger = infrastructure.logger.child({ app: 'sagas' });
  const natsUrl = config.NATS_URL;
  if ((!dependencies.consumers || !dependencies.commands) && natsUrl === undefined) {
    throw new Error(
      'NATS_URL: required by the sagas app when it runs on its own (it consumes events from NATS JetStream ' +
        'and sends commands to command-api over NATS); `npm start` runs it in process without NATS',
    );
  }
  const ownedSender =
    dependencies.commands === undefined && natsUrl !== undefined
      ? new NatsCommandSender({ servers: natsUrl, prefix: config.NATS_PREFIX, name: 'tally-sagas-commands' })
      : undefined;
  const commands = dependencies.commands ?? ownedSender;
  if (!commands) throw new Error('sagas: no command sender');
  let ownedConsumers: DeferredJetStreamConsumers | undefined;
  let runtime: SagasRuntime | undefined;

  // createHttpApp calls registerMetrics before it builds the Nest modules: the providers below see the host.
  const built = (): SagasRuntime => {
    if (!runtime) throw new Error('sagas: the process host is built in registerMetrics');
    return runtime;
  };

  @Module({
    controllers: [ProcessManagersController],
    providers: [
      { provide: SAGAS_RUNTIME, useFactory: built },
      { provide: ProcessHost, useFactory: () => built().host },
      SagasLifecycle,
    ],
  })
  class SagasModule {}

  return createHttpApp({
    name: 'sagas',
    infrastructure,
    imports: [SagasModule],
    readinessChecks: [{ name: 'process-managers', check: () => built().host.readiness.check() }],
    registerMetrics: (registry) => {
      if (!dependencies.consumers && natsUrl !== undefined) {
        ownedConsumers = new DeferredJetStreamConsumers({
          url: natsUrl,
          prefix: config.NATS_PREFIX,
          logger: logger.child({ component: 'consumers' }),
          registry,
        });
      }
      const given = dependencies.consumers;
      const consumers = typeof given === 'function' ? given(registry) : (given ?? ownedConsumers);
      if (!consumers) throw new Error('sagas: no consumer host');
      const host = new ProcessHost({
        definitions: dependencies.processes ?? defaultProcesses(config),
        consumers,
        commands,
        store: infrastructure.eventStore,
        tables: new ProcessTables(infrastructure.sql),
        logger,
      });
      host.attach(registry);
      runtime = {
        host,
        logger,
        startInBackground: ownedConsumers !== undefined,
        async closeOwned() {
          await ownedConsumers?.close();
          await ownedSender?.close();
        },
      };
    },
  });
}

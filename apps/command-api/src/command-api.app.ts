import { type DynamicModule, Module, type OnModuleDestroy } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { type MicroserviceOptions, Transport } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MigrationSet, SqlClient } from '@tally/database';
import {
  type EventStore,
  eventStoreMigrations,
  registerEventStoreMetrics,
  type VisibilityLagSource,
} from '@tally/event-store';
import { type CommandDispatcher as DispatchFunction, commandSubjectPattern } from '@tally/messaging';
import {
  createPaymentProvider,
  type PaymentProvider,
  paymentsMigrations,
  SimulatedPaymentProvider,
} from '@tally/payments';
import { createHttpApp, EVENT_STORE, type Infrastructure, SQL_CLIENT } from '@tally/platform';
import { readModelMigrations } from '@tally/read-models';
import { CartMerger } from './cart/cart-merger';
import { CartHandler } from './cart/cart.handler';
import { ProductHandler } from './catalog/product.handler';
import { CheckoutHandler } from './checkout/checkout.handler';
import { commandApiOwnMigrations } from './command-api.migrations';
import { HTTP_COMMAND_CONTROLLERS } from './http-controllers';
import { CommandDispatcher } from './dispatch/command-dispatcher';
import { commandMessagesController } from './dispatch/command-messages.controller';
import { Accounts } from './identity/accounts';
import { CustomerHandler } from './identity/customer.handler';
import { EMBEDDED_ADMIN, FirstAdmin } from './identity/first-admin';
import { MailOutbox } from './identity/mail/mail-outbox';
import { LogSender, MAIL_SENDER, MailboxSender, type MailSender } from './identity/mail/mail-sender';
import { PasswordHasher } from './identity/password-hasher';
import { PasswordResets } from './identity/password-resets';
import { RefreshTokens } from './identity/refresh-tokens';
import { Sessions } from './identity/sessions';
import { SignInLimiter } from './identity/sign-in-limiter';
import { StockItemHandler } from './inventory/stock-item.handler';
import { OrderNumberAllocator } from './ordering/order-numbers';
import { OrderHandler } from './ordering/order.handler';
import { PaymentHandler } from './payments/payment.handler';
import { PAYMENT_PROVIDER } from './payments/payment-provider.token';
import { PaymentWebhooks } from './payments/payment-webhooks';
import { WEBHOOK_ROUTE } from './payments/payments.schemas';
import { CLOCK, type Clock, systemClock } from './shared/clock';
import { CommandEdge } from './shared/command-edge';
import { CommandMetrics } from './shared/command-metrics';
import { DeciderCommandHandler } from './shared/decider-command.handler';
import { DocsController } from './shared/docs.controller';
import { IdempotencyStore } from './shared/idempotency.store';
import { acceptJsonBodiesOnly } from './shared/json-body';

/**
 * Every table command-api writes or reads: the event store, the read models it prices carts from, its
 * idempotency keys, and the simulated payment provider's state.
 */
export const commandApiMigrations: MigrationSet[] = [
  eventStoreMigrations,
  readModelMigrations,
  commandApiOwnMigrations,
  paymentsMigrations,
];

export interface CommandApiOptions {
  /**
   * Wraps the payment provider the configuration selects (Stripe when STRIPE_SECRET_KEY is set, else the
   * simulated one, whose webhooks this app delivers to itself), e.g. to count calls in tests.
   */
  readonly decoratePaymentProvider?: (configured: PaymentProvider) => PaymentProvider;
  /** Where commands, tokens, rate limits and the mail outbox read the time (tests move it). */
  readonly clock?: Clock;
  /** Replaces the mail sender TALLY_MAIL_SENDER selects (tests capture or fail deliveries). */
  readonly mailSender?: MailSender;
  /**
   * Whether embedded mode creates admin@tally.local with a random password when no admin exists and
   * TALLY_ADMIN_EMAIL is not set. Default: yes, except under NODE_ENV=test (tests bring their own accounts).
   */
  readonly embeddedAdmin?: boolean;
}

/** What the module needs besides the infrastructure. */
interface ModuleSettings {
  readonly paymentProvider: PaymentProvider;
  readonly beforeStop: () => Promise<void>;
  readonly subjectPattern: string;
  readonly clock: Clock;
  readonly mailSender: MailSender;
  readonly embeddedAdmin: boolean;
}

const PAYMENT_PROVIDER_SHUTDOWN = Symbol('PAYMENT_PROVIDER_SHUTDOWN');

@Module({})
class CommandApiModule {
  static register({
    paymentProvider,
    beforeStop,
    subjectPattern,
    clock,
    mailSender,
    embeddedAdmin,
  }: ModuleSettings): DynamicModule {
    return {
      module: CommandApiModule,
      imports: [CqrsModule.forRoot()],
      controllers: [...HTTP_COMMAND_CONTROLLERS, DocsController, commandMessagesController(subjectPattern)],
      providers: [
        DeciderCommandHandler,
        CommandMetrics,
        CommandEdge,
        ProductHandler,
        StockItemHandler,
        CartHandler,
        CheckoutHandler,
        OrderHandler,
        PaymentHandler,
        PaymentWebhooks,
        CommandDispatcher,
        CartMerger,
        CustomerHandler,
        Accounts,
        PasswordHasher,
        RefreshTokens,
        SignInLimiter,
        Sessions,
        MailOutbox,
        PasswordResets,
        FirstAdmin,
        { provide: MAIL_SENDER, useValue: mailSender },
        { provide: EMBEDDED_ADMIN, useValue: embeddedAdmin },
        { provide: CLOCK, useValue: clock },
        { provide: PAYMENT_PROVIDER, useValue: paymentProvider },
        {
          provide: PAYMENT_PROVIDER_SHUTDOWN,
          useValue: { onModuleDestroy: beforeStop } satisfies OnModuleDestroy,
        },
        {
          provide: OrderNumberAllocator,
          useFactory: (store: EventStore) => new OrderNumberAllocator(store),
          inject: [EVENT_STORE],
        },
        {
          provide: IdempotencyStore,
          useFactory: (sql: SqlClient) => new IdempotencyStore(sql),
          inject: [SQL_CLIENT],
        },
      ],
    };
  }
}

/**
 * Builds command-api on the given infrastructure (its own in full mode, a shared one in embedded mode).
 * All state lives in the database or in the returned app; the caller listens.
 *
 * With NATS_URL set, it also serves the process managers' commands over NATS request/reply on
 * `<NATS_PREFIX>.commands.*` (queue group `command-api`, so each command reaches one instance); without it, embedded mode hands the same
 * dispatcher to its in-process sender through {@link commandDispatcherOf}.
 */
export async function createCommandApi(
  infrastructure: Infrastructure,
  options: CommandApiOptions = {},
): Promise<NestFastifyApplication> {
  const { config, sql, logger } = infrastructure;
  // The simulated provider delivers its webhooks to this very app, in process, so it works on any port
  // (and before the app listens). Bound once the app exists; no payment is made before that.
  const self: { app?: NestFastifyApplication } = {};
  const configured = createPaymentProvider(config, {
    sql,
    logger: logger.child({ app: 'command-api', component: 'payments' }),
    deliver: async (rawBody, headers) => {
      if (!self.app) throw new Error('command-api is not ready to receive webhooks yet');
      const response = await self.app.inject({
        method: 'POST',
        url: `/api/v1/payments/webhooks/${configured.name}`,
        headers: { ...headers, 'content-type': 'application/json' },
        payload: rawBody,
      });
      if (response.statusCode !== 200) {
        throw new Error(`webhook delivery answered ${response.statusCode}: ${response.body}`);
      }
    },
  });
  const paymentProvider = options.decoratePaymentProvider?.(configured) ?? configured;
  // The NATS transport's last reported status: process managers cannot reach this app while it is not
  // `connected`, so readiness says so.
  const nats = { status: 'connecting' };

  const app = await createHttpApp({
    name: 'command-api',
    infrastructure,
    imports: [
      CommandApiModule.register({
        paymentProvider,
        // Webhooks still on their way to this app are delivered before it stops taking requests.
        beforeStop: () =>
          configured instanceof SimulatedPaymentProvider ? configured.flushWebhooks() : Promise.resolve(),
        subjectPattern: commandSubjectPattern(config.NATS_PREFIX),
        clock: options.clock ?? systemClock,
        mailSender:
          options.mailSender ??
          (config.TALLY_MAIL_SENDER === 'log'
            ? new LogSender(logger.child({ app: 'command-api', component: 'mail' }))
            : MailboxSender.under(config.TALLY_DATA_DIR)),
        embeddedAdmin: options.embeddedAdmin ?? config.NODE_ENV !== 'test',
      }),
    ],
    readinessChecks: config.NATS_URL
      ? [
          {
            name: 'nats',
            check: () =>
              nats.status === 'connected'
                ? Promise.resolve()
                : Promise.reject(new Error(`NATS is ${nats.status}`)),
          },
        ]
      : [],
    registerMetrics: (registry) => {
      if (hasVisibilityLag(infrastructure.eventStore))
        registerEventStoreMetrics(registry, infrastructure.eventStore);
    },
  });
  acceptJsonBodiesOnly(app, [WEBHOOK_ROUTE]);
  self.app = app;

  if (config.NATS_URL) {
    const microservice = app.connectMicroservice<MicroserviceOptions>({
      transport: Transport.NATS,
      options: {
        servers: config.NATS_URL,
        queue: 'command-api',
        name: 'command-api',
        // Through a NATS restart: the server keeps reconnecting, and the senders retry meanwhile.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      },
    });
    microservice.status.subscribe((status) => {
      nats.status = status;
    });
    await app.startAllMicroservices();
  }
  return app;
}

/**
 * The dispatcher of a command-api built by {@link createCommandApi}: what the in-process command sender
 * calls in embedded mode (the same code NATS requests reach in full mode).
 */
export function commandDispatcherOf(app: NestFastifyApplication): DispatchFunction {
  const dispatcher = app.get(CommandDispatcher);
  return (envelope) => dispatcher.dispatch(envelope);
}

function hasVisibilityLag(store: object): store is VisibilityLagSource {
  return typeof (store as Partial<VisibilityLagSource>).visibilityLag === 'function';
}

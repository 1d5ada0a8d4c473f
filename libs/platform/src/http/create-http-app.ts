import type { IncomingMessage } from 'node:http';
import { type DynamicModule, Global, Module, type Provider, type Type } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { AUTH_SECRET, RolesGuard } from '../auth/roles.guard';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { HealthController, type ReadinessCheck } from '../health/health.controller';
import type { Infrastructure } from '../infrastructure';
import { isUuid, uuidv7 } from '@tally/event-store';
import { NestPinoLogger } from '../logging/logger';
import { APP_CONFIG, EVENT_STORE, LOGGER, METRICS_REGISTRY, READINESS_CHECKS, SQL_CLIENT } from '../tokens';
import { ProblemDetailsFilter } from './problem-details.filter';

/** Largest request body accepted, in bytes (bad-input contract: bodies over 100 kB get a 413 problem). */
export const BODY_LIMIT_BYTES = 100 * 1024;

export interface HttpAppOptions {
  /** The app's name, used in logs and metrics (`command-api`, ...). */
  readonly name: string;
  readonly infrastructure: Infrastructure;
  /** The app's feature module(s). */
  readonly imports: readonly (Type | DynamicModule)[];
  readonly providers?: readonly Provider[];
  readonly readinessChecks?: readonly ReadinessCheck[];
  /** Extra setup on the metrics registry (gauges with collect callbacks). */
  readonly registerMetrics?: (registry: Registry) => void;
}

/**
 * Builds a Nest app on Fastify with everything the edge needs: problem details for every error,
 * a correlation id per request (`X-Correlation-Id`), structured request logs, a 100 kB body limit,
 * `/healthz`, `/readyz`, `/metrics`. The caller decides when to `listen`.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<NestFastifyApplication> {
  const { infrastructure, name } = options;
  const logger = infrastructure.logger.child({ app: name });
  const registry = new Registry();
  registry.setDefaultLabels({ app: name });
  collectDefaultMetrics({ register: registry });
  options.registerMetrics?.(registry);
  const requestDuration = new Histogram({
    name: 'tally_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  const readiness: ReadinessCheck[] = [
    {
      name: 'database',
      check: async () => {
        await infrastructure.sql.query('SELECT 1');
      },
    },
    ...(options.readinessChecks ?? []),
  ];

  @Global()
  @Module({
    controllers: [HealthController],
    providers: [
      { provide: APP_CONFIG, useValue: infrastructure.config },
      { provide: SQL_CLIENT, useValue: infrastructure.sql },
      { provide: EVENT_STORE, useValue: infrastructure.eventStore },
      { provide: LOGGER, useValue: logger },
      { provide: METRICS_REGISTRY, useValue: registry },
      { provide: READINESS_CHECKS, useValue: readiness },
      { provide: AUTH_SECRET, useValue: infrastructure.authSecret },
      { provide: APP_GUARD, useClass: RolesGuard },
      ...(options.providers ?? []),
    ],
    exports: [APP_CONFIG, SQL_CLIENT, EVENT_STORE, LOGGER, METRICS_REGISTRY, AUTH_SECRET],
  })
  class PlatformModule {}

  @Module({ imports: [PlatformModule, ...options.imports] })
  class AppModule {}

  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    logger: false,
    trustProxy:
      infrastructure.config.TALLY_TRUST_PROXY === 'none' ? false : infrastructure.config.TALLY_TRUST_PROXY,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-correlation-id'];
      return typeof given === 'string' && (isUuid(given) || /^[\w.:-]{1,100}$/.test(given))
        ? given
        : uuidv7();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, {
    logger: new NestPinoLogger(logger),
    // A module that fails to start throws here, with its cause, instead of Nest calling process.exit(1):
    // the caller (a test, the embedded launcher, runStandalone) decides how to report it and exit.
    abortOnError: false,
  });
  // No enableShutdownHooks(): runStandalone and the embedded launcher own SIGINT/SIGTERM (onShutdown) and call
  // app.close(), which runs the same hooks. Nest's own handler would re-raise the signal once the app is
  // closed and kill the process before the database is closed.
  app.useGlobalFilters(new ProblemDetailsFilter(logger));

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-correlation-id', request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requestDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (!route.startsWith('/metrics') && !route.startsWith('/healthz')) {
      logger.info(
        {
          correlationId: request.id,
          method: request.method,
          route,
          url: request.url,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        'request',
      );
    }
  });
  // Errors raised by Fastify itself (body parsing, size limit) reach ProblemDetailsFilter through the error
  // handler Nest installs at init (a second one here would only be overridden, with a warning).
  // Unknown routes: Nest installs its own not-found handler at init (a second one makes Fastify throw);
  // it raises a NotFoundException, which ProblemDetailsFilter turns into a ROUTE_NOT_FOUND problem.
  return app;
}

import { Body, Controller, Get, Module, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { SqlClient } from '@tally/database';
import type { EventStore } from '@tally/event-store';
import pino from 'pino';
import { Roles } from '../auth/roles.guard';
import { loadConfig } from '../config/config';
import { createLogger } from '../logging/logger';
import type { Infrastructure } from '../infrastructure';
import { createHttpApp } from './create-http-app';

@Controller('ping')
@Roles('guest')
class PingController {
  @Get()
  ping(): { pong: true } {
    return { pong: true };
  }

  @Get('ip')
  ip(@Req() request: FastifyRequest): { ip: string } {
    return { ip: request.ip };
  }

  @Post()
  echo(@Body() body: unknown): unknown {
    return body;
  }
}

@Module({ controllers: [PingController] })
class PingModule {}

const BROKEN = Symbol('broken');

@Module({
  providers: [
    {
      provide: BROKEN,
      useFactory: () => {
        throw new Error('the broken provider could not start');
      },
    },
  ],
})
class BrokenModule {}

const infrastructure = (query: SqlClient['query'], logger = pino({ level: 'silent' })): Infrastructure => ({
  config: loadConfig({}),
  sql: { query } as SqlClient,
  eventStore: {} as EventStore,
  logger,
  authSecret: 'tally-test-auth-secret-0123456789abcdef',
  close: () => Promise.resolve(),
});

describe('createHttpApp', () => {
  let app: NestFastifyApplication;

  afterEach(async () => {
    await app.close();
  });

  // Regression: a second not-found handler made Fastify throw at init, so no app could start.
  it('initialises and answers an unknown route with a ROUTE_NOT_FOUND problem', async () => {
    app = await createHttpApp({
      name: 'test',
      infrastructure: infrastructure(() => Promise.resolve({ rows: [], rowCount: 0 })),
      imports: [PingModule],
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();

    const ping = await app.inject({ method: 'GET', url: '/ping' });
    expect(ping.json()).toEqual({ pong: true });
    const missing = await app.inject({ method: 'GET', url: '/nowhere?x=1' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.json()).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND', instance: '/nowhere?x=1' });
  });

  it('logs each request as one JSON line carrying its correlation id, and echoes the id', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', 'tally', { write: (line: string) => void lines.push(line) });
    app = await createHttpApp({
      name: 'test',
      infrastructure: infrastructure(() => Promise.resolve({ rows: [], rowCount: 0 }), logger),
      imports: [PingModule],
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();

    const given = await app.inject({
      method: 'GET',
      url: '/ping',
      headers: { 'x-correlation-id': 'corr-123' },
    });
    expect(given.headers['x-correlation-id']).toBe('corr-123');
    const minted = await app.inject({ method: 'GET', url: '/ping' });
    const mintedId = String(minted.headers['x-correlation-id']);
    expect(mintedId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);

    const requests = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === 'request');
    expect(requests).toEqual([
      expect.objectContaining({
        level: 'info',
        process: 'tally',
        app: 'test',
        correlationId: 'corr-123',
        status: 200,
      }),
      expect.objectContaining({ correlationId: mintedId }),
    ]);
  });

  // Regression: Nest's signal handler re-raised SIGTERM after closing the app, killing the process before
  // runStandalone closed the database.
  it('leaves SIGINT and SIGTERM to the launcher', async () => {
    const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    app = await createHttpApp({
      name: 'test',
      infrastructure: infrastructure(() => Promise.resolve({ rows: [], rowCount: 0 })),
      imports: [PingModule],
    });
    await app.init();
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before);
  });

  // Regression: Nest wraps Fastify's body errors in an HttpException, which mapped to a generic HTTP_400.
  it('answers malformed and oversized bodies with problems naming the body', async () => {
    app = await createHttpApp({
      name: 'test',
      infrastructure: infrastructure(() => Promise.resolve({ rows: [], rowCount: 0 })),
      imports: [PingModule],
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const post = (payload: string) =>
      app.inject({ method: 'POST', url: '/ping', headers: { 'content-type': 'application/json' }, payload });

    expect((await post('{"a":')).json()).toMatchObject({
      status: 400,
      code: 'MALFORMED_JSON',
      errors: [{ field: '(body)' }],
    });
    expect((await post(JSON.stringify({ a: 'x'.repeat(110 * 1024) }))).json()).toMatchObject({
      status: 413,
      code: 'BODY_TOO_LARGE',
    });
    expect((await post('{"a":1}')).json()).toEqual({ a: 1 });
  });

  it('reports readiness from its checks', async () => {
    app = await createHttpApp({
      name: 'test',
      infrastructure: infrastructure(() => Promise.reject(new Error('database down'))),
      imports: [PingModule],
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();

    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      status: 'not_ready',
      checks: [{ name: 'database', status: 'failing' }],
    });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('believes X-Forwarded-For only from a trusted proxy (the storefront on loopback), for per-IP limits', async () => {
    app = await createHttpApp({
      name: 'test',
      infrastructure: infrastructure(() => Promise.resolve({ rows: [], rowCount: 0 })),
      imports: [PingModule],
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const viaLoopback = await app.inject({
      method: 'GET',
      url: '/ping/ip',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    expect(viaLoopback.json()).toEqual({ ip: '203.0.113.9' });
    const direct = await app.inject({
      method: 'GET',
      url: '/ping/ip',
      remoteAddress: '198.51.100.1',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    expect(direct.json()).toEqual({ ip: '198.51.100.1' });
  });

  // Nest's default on a failed start is process.exit(1), which hides the cause from whoever started it.
  it('rejects with the cause when a module fails to start, instead of exiting the process', async () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      await expect(
        createHttpApp({
          name: 'test',
          infrastructure: infrastructure(() => Promise.resolve({ rows: [], rowCount: 0 })),
          imports: [BrokenModule],
        }),
      ).rejects.toThrow('the broken provider could not start');
      expect(exit).not.toHaveBeenCalled();
    } finally {
      exit.mockRestore();
    }
    app = await createHttpApp({
      name: 'test',
      infrastructure: infrastructure(() => Promise.resolve({ rows: [], rowCount: 0 })),
      imports: [PingModule],
    });
  });
});

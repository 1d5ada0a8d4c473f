import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { SqlClient } from '@tally/database';
import type { EventStore } from '@tally/event-store';
import pino from 'pino';
import { loadConfig } from '../config/config';
import type { Infrastructure } from '../infrastructure';
import { createHttpApp } from './create-http-app';

@Controller('ping')
class PingController {
  @Get()
  ping(): { pong: true } {
    return { pong: true };
  }

  @Post()
  echo(@Body() body: unknown): unknown {
    return body;
  }
}

@Module({ controllers: [PingController] })
class PingModule {}

const infrastructure = (query: SqlClient['query']): Infrastructure => ({
  config: loadConfig({}),
  sql: { query } as SqlClient,
  eventStore: {} as EventStore,
  logger: pino({ level: 'silent' }),
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
});

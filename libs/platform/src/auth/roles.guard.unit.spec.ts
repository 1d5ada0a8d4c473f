import { Controller, Get, Module, Req } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { SqlClient } from '@tally/database';
import type { EventStore } from '@tally/event-store';
import pino from 'pino';
import { loadConfig } from '../config/config';
import { createHttpApp } from '../http/create-http-app';
import { type Principal } from './principal';
import { IgnoresAccessToken, principalOf, Roles } from './roles.guard';
import { signAccessToken } from './signed-tokens';

const SECRET = 'tally-test-auth-secret-0123456789abcdef';

@Controller('guarded')
class GuardedController {
  @Get('open')
  @Roles('guest')
  open(@Req() request: object): Principal {
    return principalOf(request);
  }

  @Get('admin')
  @Roles('admin')
  admin(): { ok: true } {
    return { ok: true };
  }

  @Get('forgotten')
  forgotten(): { ok: true } {
    return { ok: true };
  }
}

@Controller('staff')
@Roles('admin', 'auditor')
class StaffController {
  @Get()
  list(): { ok: true } {
    return { ok: true };
  }
}

@Controller('sign-in')
@Roles('guest')
@IgnoresAccessToken()
class SignInController {
  @Get()
  signIn(@Req() request: object): Principal {
    return principalOf(request);
  }
}

@Module({ controllers: [GuardedController, StaffController, SignInController] })
class GuardedModule {}

const bearer = (role: 'customer' | 'admin' | 'auditor') => ({
  authorization: `Bearer ${signAccessToken({ sub: `${role}-1`, role, email: `${role}@example.com` }, SECRET, new Date())}`,
});

describe('RolesGuard', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createHttpApp({
      name: 'guard-test',
      infrastructure: {
        config: loadConfig({}),
        sql: { query: () => Promise.resolve({ rows: [], rowCount: 0 }) } as unknown as SqlClient,
        eventStore: {} as EventStore,
        logger: pino({ level: 'silent' }),
        authSecret: SECRET,
        close: () => Promise.resolve(),
      },
      imports: [GuardedModule],
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
  });

  const get = async (url: string, headers: Record<string, string> = {}) => {
    const response = await app.inject({ method: 'GET', url, headers });
    return { statusCode: response.statusCode, json: () => response.json<{ code?: string }>() };
  };

  it('lets guests through guest routes and hands the handler the verified principal', async () => {
    expect((await get('/guarded/open')).json()).toEqual({ kind: 'guest' });
    expect((await get('/guarded/open', bearer('customer'))).json()).toEqual({
      kind: 'account',
      id: 'customer-1',
      role: 'customer',
      email: 'customer@example.com',
    });
  });

  it('answers 401 to a guest and 403 to a wrong role on a restricted route', async () => {
    const guest = await get('/guarded/admin');
    expect([guest.statusCode, guest.json().code]).toEqual([401, 'AUTHENTICATION_REQUIRED']);
    const customer = await get('/guarded/admin', bearer('customer'));
    expect([customer.statusCode, customer.json().code]).toEqual([403, 'FORBIDDEN']);
    expect((await get('/guarded/admin', bearer('admin'))).statusCode).toBe(200);
  });

  it('applies a controller-level @Roles to its routes', async () => {
    expect((await get('/staff', bearer('auditor'))).statusCode).toBe(200);
    expect((await get('/staff', bearer('customer'))).statusCode).toBe(403);
  });

  it('refuses a route that declares no roles, even to an admin', async () => {
    const response = await get('/guarded/forgotten', bearer('admin'));
    expect([response.statusCode, response.json().code]).toEqual([403, 'FORBIDDEN']);
  });

  it('answers 401 to an invalid token even on a guest route', async () => {
    const response = await get('/guarded/open', { authorization: 'Bearer nope' });
    expect([response.statusCode, response.json().code]).toEqual([401, 'ACCESS_TOKEN_INVALID']);
  });

  it('treats a stale token as a guest on a route that establishes identity', async () => {
    const response = await get('/sign-in', { authorization: 'Bearer stale' });
    expect([response.statusCode, response.json()]).toEqual([200, { kind: 'guest' }]);
  });
});

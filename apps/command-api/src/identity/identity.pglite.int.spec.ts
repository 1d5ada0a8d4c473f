import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, type Infrastructure, loadConfig, openInfrastructure } from '@tally/platform';
import { commandApiMigrations, createCommandApi } from '../command-api.app';
import { MailOutbox } from './mail/mail-outbox';
import { PasswordResets } from './password-resets';
import { SIGN_IN_LIMITS } from './sign-in-limiter';
import { strongPassword } from './testing/identity.fixtures';

jest.setTimeout(120_000);

// Embedded mode runs identity on PGlite: the same SQL (arrays, SKIP LOCKED, upserts) must work there, and
// the default mail sender writes the mailbox the storefront lists.
describe('identity on PGlite (embedded mode)', () => {
  let dataDir: string;
  let infrastructure: Infrastructure;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tally-identity-'));
    const config = loadConfig({ TALLY_DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
    infrastructure = await openInfrastructure(config, createLogger('silent', 'command-api'), {
      migrations: commandApiMigrations,
    });
    app = await createCommandApi(infrastructure);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
    await infrastructure.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (url: string, json?: unknown) =>
    app.inject({
      method: 'POST',
      url,
      headers: json === undefined ? {} : { 'content-type': 'application/json' },
      ...(json === undefined ? {} : { payload: JSON.stringify(json) }),
    });

  it('signs up, rate-limits sign-in, rotates refresh tokens and mails a reset link to the mailbox', async () => {
    const email = 'ada@example.com';
    const password = strongPassword();
    const signedUp = await post('/api/v1/auth/sign-up', { email, password, name: 'Ada' });
    expect(signedUp.statusCode).toBe(201);
    const { refreshToken } = signedUp.json<{ refreshToken: string }>();

    for (let attempt = 1; attempt <= SIGN_IN_LIMITS.perAccount; attempt += 1)
      expect((await post('/api/v1/auth/sign-in', { email, password: 'wrong-password-1' })).statusCode).toBe(
        401,
      );
    expect((await post('/api/v1/auth/sign-in', { email, password })).statusCode).toBe(429);

    const refreshed = await post('/api/v1/auth/refresh', { refreshToken });
    expect(refreshed.statusCode).toBe(200);
    expect((await post('/api/v1/auth/refresh', { refreshToken })).json()).toMatchObject({
      code: 'REFRESH_TOKEN_REUSED',
    });

    expect((await post('/api/v1/auth/password-reset', { email })).statusCode).toBe(202);
    await app.get(PasswordResets).settled();
    // (The dispatcher's own timer may have sent it already; this waits for any run in progress.)
    await app.get(MailOutbox).dispatch();
    const mailbox = join(dataDir, 'mailbox');
    const files = readdirSync(mailbox);
    expect(files).toHaveLength(1);
    const message = JSON.parse(readFileSync(join(mailbox, files[0]!), 'utf8')) as {
      to: string;
      text: string;
    };
    expect(message.to).toBe(email);
    const token = decodeURIComponent(/token=(\S+)/.exec(message.text)?.[1] ?? '');
    const newPassword = strongPassword();
    expect(
      (await post('/api/v1/auth/password-reset/confirm', { token, password: newPassword })).statusCode,
    ).toBe(204);
    // The reset also lifted the lockout.
    expect((await post('/api/v1/auth/sign-in', { email, password: newPassword })).statusCode).toBe(200);
  });
});

import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { customerStreamId } from '@tally/domain';
import { uuidv7 } from '@tally/platform';
import { type InProcessCommandApi, startInProcessCommandApi } from '../../test/in-process.harness';
import { EMBEDDED_ADMIN_EMAIL } from './first-admin';
import { MailOutbox, OUTBOX_TIMING } from './mail/mail-outbox';
import { PasswordResets } from './password-resets';
import { CapturingMailSender, freshEmail, strongPassword, TestClock } from './testing/identity.fixtures';

jest.setTimeout(120_000);

describe('identity: password reset through the mail outbox (PostgreSQL)', () => {
  let api: InProcessCommandApi;
  let clock: TestClock;
  let mail: CapturingMailSender;

  beforeEach(async () => {
    clock = new TestClock();
    mail = new CapturingMailSender();
    api = await startInProcessCommandApi({
      clock,
      mailSender: mail,
      env: { TALLY_PUBLIC_URL: 'https://shop.example' },
    });
  });
  afterEach(async () => {
    await api.close();
  });

  const signIn = (email: string, password: string) =>
    api.rawRequest('POST', '/api/v1/auth/sign-in', { email, password });
  const requestReset = async (email: string) => {
    const response = await api.rawRequest('POST', '/api/v1/auth/password-reset', { email });
    await api.app.get(PasswordResets).settled();
    await api.app.get(MailOutbox).dispatch();
    return response;
  };
  const confirm = (token: string, password: string) =>
    api.rawRequest('POST', '/api/v1/auth/password-reset/confirm', { token, password });
  const tokenIn = (text: string): string => {
    const match = /https:\/\/shop\.example\/account\/reset-password\?token=([^\s"]+)/.exec(text);
    if (!match?.[1]) throw new Error(`no reset link in ${text}`);
    return decodeURIComponent(match[1]);
  };

  async function account(): Promise<{
    email: string;
    password: string;
    customerId: string;
    refreshToken: string;
  }> {
    const email = freshEmail();
    const password = strongPassword();
    const response = await api.rawRequest('POST', '/api/v1/auth/sign-up', { email, password, name: 'Ada' });
    expect(response.statusCode).toBe(201);
    const { customerId, refreshToken } = response.json<{ customerId: string; refreshToken: string }>();
    return { email, password, customerId, refreshToken };
  }

  it('mails a link, records only the token hash, and sets the new password once', async () => {
    const { email, password, customerId, refreshToken } = await account();

    const response = await requestReset(email);
    expect(response.statusCode).toBe(202);
    expect(mail.sent).toHaveLength(1);
    const [message] = mail.sent;
    expect(message).toMatchObject({ to: email, subject: 'Reset your Tally password' });
    const token = tokenIn(message!.text);
    const events = await api.stream(customerStreamId(customerId));
    expect(events.at(-1)).toMatchObject({ type: 'PasswordResetRequested', data: { customerId } });
    expect(JSON.stringify(events)).not.toContain(token.split('.')[1]);

    const newPassword = strongPassword();
    expect((await confirm(token, newPassword)).statusCode).toBe(204);
    expect((await api.stream(customerStreamId(customerId))).at(-1)).toMatchObject({
      type: 'PasswordChanged',
      data: { customerId, via: 'reset' },
    });
    expect((await signIn(email, newPassword)).statusCode).toBe(200);
    expect((await signIn(email, password)).statusCode).toBe(401);
    // Every session of before the reset is signed out.
    expect((await api.rawRequest('POST', '/api/v1/auth/refresh', { refreshToken })).statusCode).toBe(401);

    const reused = await confirm(token, strongPassword());
    expect(reused.statusCode).toBe(400);
    expect(reused.json()).toMatchObject({ code: 'RESET_TOKEN_INVALID', errors: [{ field: 'token' }] });
  });

  it('answers 202 for an email without an account, and sends and records nothing', async () => {
    const before = await api.eventCount();
    const response = await requestReset(freshEmail('nobody'));
    expect(response.statusCode).toBe(202);
    expect(mail.sent).toHaveLength(0);
    expect(await api.eventCount()).toBe(before);
  });

  it('sends at most five links an hour to one account', async () => {
    const { email } = await account();
    for (let request = 1; request <= 6; request += 1) {
      expect((await requestReset(email)).statusCode).toBe(202);
    }
    expect(mail.sent).toHaveLength(5);
    clock.advance(60 * 60 * 1000);
    await requestReset(email);
    expect(mail.sent).toHaveLength(6);
  });

  it('rejects an expired token', async () => {
    const { email } = await account();
    await requestReset(email);
    clock.advance(60 * 60 * 1000);
    const response = await confirm(tokenIn(mail.sent[0]!.text), strongPassword());
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'RESET_TOKEN_INVALID' });
  });

  it('rejects a forged token, a token for an unknown account and a weak new password', async () => {
    const { email, customerId } = await account();
    await requestReset(email);
    const token = tokenIn(mail.sent[0]!.text);
    expect((await confirm(`${customerId}.forged`, strongPassword())).json()).toMatchObject({
      code: 'RESET_TOKEN_INVALID',
    });
    expect((await confirm(`${uuidv7()}.x`, strongPassword())).statusCode).toBe(400);
    expect((await confirm('garbage', strongPassword())).statusCode).toBe(400);
    const weak = await confirm(token, 'password1234');
    expect(weak.json()).toMatchObject({ code: 'WEAK_PASSWORD', errors: [{ field: 'password' }] });
    // The weak attempt did not spend the token.
    expect((await confirm(token, strongPassword())).statusCode).toBe(204);
  });

  describe('outbox', () => {
    const outbox = () => api.app.get(MailOutbox);

    it('does not send mail whose event was never stored (crash before the append), then drops it', async () => {
      const { customerId } = await account();
      await outbox().enqueue({
        streamId: customerStreamId(customerId),
        commandId: uuidv7(),
        to: 'ada@example.com',
        subject: 'never happened',
        text: 'secret link',
      });
      expect(await outbox().dispatch()).toBe(0);
      clock.advance(OUTBOX_TIMING.orphanAfterMs);
      expect(await outbox().dispatch()).toBe(0);
      expect(mail.sent).toHaveLength(0);
      const { rows } = await api.sql.query<{ dropped: boolean; body_text: string }>(
        'SELECT dropped_at IS NOT NULL AS dropped, body_text FROM mail_outbox',
      );
      expect(rows).toEqual([{ dropped: true, body_text: '' }]);
    });

    it('sends the mail of a stored event even when the process died before waking the dispatcher', async () => {
      const { email, customerId } = await account();
      const commandId = uuidv7();
      await outbox().enqueue({
        streamId: customerStreamId(customerId),
        commandId,
        to: email,
        subject: 'Reset your Tally password',
        text: 'link',
      });
      // The append happened, then the process "crashed" (no wake-up, no send).
      await api.store.append(
        customerStreamId(customerId),
        [
          {
            eventId: uuidv7(),
            type: 'PasswordResetRequested',
            data: { customerId, tokenHash: 'h', expiresAt: clock.now().toISOString() },
            metadata: {
              commandId,
              correlationId: 'c',
              causationId: 'c',
              actor: { id: 'anonymous', role: 'guest' },
              occurredAt: clock.now().toISOString(),
              schemaVersion: 1,
            },
          },
        ],
        { expectedVersion: 1 },
      );
      await outbox().dispatch();
      expect(mail.sent.map((message) => message.to)).toEqual([email]);
      // Sent once: a later run sends nothing more.
      await outbox().dispatch();
      expect(mail.sent).toHaveLength(1);
    });

    it('retries a failed delivery with backoff', async () => {
      const { email } = await account();
      mail.failNext = 1;
      await requestReset(email);
      expect(mail.sent).toHaveLength(0);
      await outbox().dispatch(); // not due yet
      expect(mail.sent).toHaveLength(0);
      clock.advance(OUTBOX_TIMING.baseRetryMs);
      await outbox().dispatch();
      expect(mail.sent).toHaveLength(1);
    });
  });
});

describe('identity: the first admin (PostgreSQL)', () => {
  it('registers TALLY_ADMIN_EMAIL as admin at start, once', async () => {
    const email = freshEmail('boss');
    const password = strongPassword();
    const api = await startInProcessCommandApi({
      env: { TALLY_ADMIN_EMAIL: email, TALLY_ADMIN_PASSWORD: password },
    });
    try {
      const signedIn = await api.rawRequest('POST', '/api/v1/auth/sign-in', { email, password });
      expect(signedIn.statusCode).toBe(200);
      expect(signedIn.json()).toMatchObject({ role: 'admin' });
      const before = await api.eventCount();
      await api.another();
      expect(await api.eventCount()).toBe(before);
    } finally {
      await api.close();
    }
  });

  it('in embedded mode without configuration, creates admin@tally.local and writes its password (0600)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tally-admin-'));
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const api = await startInProcessCommandApi({ embeddedAdmin: true, env: { TALLY_DATA_DIR: dataDir } });
    try {
      const file = join(dataDir, 'admin-credentials.txt');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const password = /password: (\S+)/.exec(await readFile(file, 'utf8'))?.[1] ?? '';
      expect(write.mock.calls.map(([text]) => String(text)).join('')).toContain(password);
      const signedIn = await api.rawRequest('POST', '/api/v1/auth/sign-in', {
        email: EMBEDDED_ADMIN_EMAIL,
        password,
      });
      expect(signedIn.json()).toMatchObject({ role: 'admin' });
      // An admin exists now: a restart creates nobody and prints nothing.
      write.mockClear();
      const before = await api.eventCount();
      await api.another({ embeddedAdmin: true });
      expect(await api.eventCount()).toBe(before);
      expect(write.mock.calls.map(([text]) => String(text)).join('')).not.toContain('admin account created');
    } finally {
      write.mockRestore();
      await api.close();
    }
  });
});

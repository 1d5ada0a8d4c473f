import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailboxSender } from './mail-sender';

describe('MailboxSender', () => {
  it('writes one JSON file per message, in sending order, readable by its owner only', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'tally-mailbox-')), 'mailbox');
    let tick = Date.parse('2026-01-01T10:00:00.000Z');
    const sender = new MailboxSender(dir, () => new Date((tick += 1000)));

    await sender.send({ id: 'b', to: 'ada@example.com', subject: 'First', text: 'one', html: '<p>one</p>' });
    await sender.send({ id: 'a', to: 'bob@example.com', subject: 'Second', text: 'two' });

    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(2);
    const first = JSON.parse(await readFile(join(dir, files[0]!), 'utf8')) as unknown;
    expect(first).toEqual({
      id: 'b',
      to: 'ada@example.com',
      subject: 'First',
      text: 'one',
      html: '<p>one</p>',
      sentAt: '2026-01-01T10:00:01.000Z',
    });
    expect(JSON.parse(await readFile(join(dir, files[1]!), 'utf8'))).toMatchObject({ subject: 'Second' });
    expect((await stat(join(dir, files[0]!))).mode & 0o777).toBe(0o600);
  });
});

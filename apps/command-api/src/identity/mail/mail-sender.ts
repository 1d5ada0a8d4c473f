import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '@tally/platform';

/** One email. */
export interface MailMessage {
  /** The outbox row it comes from: the same id on every delivery attempt. */
  readonly id: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/** Port: where outgoing mail goes (`TALLY_MAIL_SENDER`). Throws when the message could not be handed over. */
export interface MailSender {
  send(message: MailMessage): Promise<void>;
}

export const MAIL_SENDER = Symbol('MAIL_SENDER');

/**
 * Dev sender: one JSON file per message (`to`, `subject`, `text`, `html`, `sentAt`) under `<dir>`, which
 * the storefront lists at /dev/mailbox in embedded mode. Written to a temporary name and renamed, so a
 * reader never sees half a message; named by time then id, so a directory listing is in sending order.
 */
export class MailboxSender implements MailSender {
  private readonly dir: string;

  constructor(
    dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.dir = resolve(dir);
  }

  /** `<TALLY_DATA_DIR>/mailbox`. */
  static under(dataDir: string): MailboxSender {
    return new MailboxSender(join(dataDir, 'mailbox'));
  }

  async send(message: MailMessage): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const sentAt = this.now().toISOString();
    const name = `${sentAt.replace(/[:.]/g, '-')}-${message.id}.json`;
    const body = {
      id: message.id,
      to: message.to,
      subject: message.subject,
      text: message.text,
      ...(message.html === undefined ? {} : { html: message.html }),
      sentAt,
    };
    const temporary = join(this.dir, `.${name}.${randomUUID()}.tmp`);
    await writeFile(temporary, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, join(this.dir, name));
  }
}

/** Sender for deployments without mail: logs each message (including its links) at info level. */
export class LogSender implements MailSender {
  constructor(private readonly logger: Logger) {}

  send(message: MailMessage): Promise<void> {
    this.logger.info({ mail: message }, 'mail (TALLY_MAIL_SENDER=log)');
    return Promise.resolve();
  }
}

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { storefrontConfig } from '../../../lib/config';
import { formatDate } from '../../../lib/format';

export const metadata: Metadata = { title: 'Dev mailbox', robots: { index: false } };

interface Mail {
  readonly file: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly sentAt: string;
}

/** Links in a message's text, shown as links so a developer can follow a password reset. */
function links(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s<>"')]+/g)].map((match) => match[0]);
}

async function readMailbox(dir: string): Promise<Mail[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json') && !name.startsWith('.'));
  } catch {
    return [];
  }
  names.sort().reverse(); // files are named by send time: newest first
  const mails: Mail[] = [];
  for (const file of names.slice(0, 50)) {
    try {
      const body = JSON.parse(await readFile(join(dir, file), 'utf8')) as Record<string, unknown>;
      mails.push({
        file,
        to: typeof body.to === 'string' ? body.to : '',
        subject: typeof body.subject === 'string' ? body.subject : '(no subject)',
        text: typeof body.text === 'string' ? body.text : '',
        sentAt: typeof body.sentAt === 'string' ? body.sentAt : '',
      });
    } catch {
      // A file being written or not a message: skip it.
    }
  }
  return mails;
}

/**
 * Embedded mode's outbox: the emails the dev mail sender wrote under `<TALLY_DATA_DIR>/mailbox`, newest first.
 * Absent (404) in full mode and when mail really goes out (`TALLY_MAIL_SENDER=log` or any other sender).
 */
export default async function MailboxPage() {
  const config = storefrontConfig();
  if (!config.devMailbox) notFound();
  const mails = await readMailbox(join(config.dataDir, 'mailbox'));
  return (
    <>
      <h1>Dev mailbox</h1>
      <p className="muted">Emails Tally would have sent, newest first.</p>
      {mails.length === 0 ? <p>No emails yet.</p> : null}
      {mails.map((mail) => (
        <article key={mail.file} className="card">
          <h2>{mail.subject}</h2>
          <p className="muted">{`To ${mail.to}${mail.sentAt ? ` · ${formatDate(mail.sentAt)}` : ''}`}</p>
          <pre>{mail.text}</pre>
          {links(mail.text).map((link) => {
            const url = new URL(link);
            const local = `${url.pathname}${url.search}`;
            return (
              <p key={link}>
                <a href={local}>{`Open ${url.pathname}`}</a>
              </p>
            );
          })}
        </article>
      ))}
    </>
  );
}

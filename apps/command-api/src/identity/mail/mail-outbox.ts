import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import type { EventStore } from '@tally/event-store';
import { EVENT_STORE, LOGGER, type Logger, SQL_CLIENT, uuidv7 } from '@tally/platform';
import { CLOCK, type Clock } from '../../shared/clock';
import { MAIL_SENDER, type MailMessage, type MailSender } from './mail-sender';

/** Mail to send once the command `commandId` has stored its event(s) in `streamId`. */
export interface OutgoingMail {
  readonly streamId: string;
  readonly commandId: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/** Dispatcher timing: how often it polls, how long a claim holds, retry backoff, when an orphan is dropped. */
export const OUTBOX_TIMING = {
  pollIntervalMs: 2_000,
  leaseMs: 60_000,
  baseRetryMs: 1_000,
  maxRetryMs: 5 * 60_000,
  /** A row whose event is still missing after this long belongs to a command that failed or crashed. */
  orphanAfterMs: 10 * 60_000,
  batchSize: 20,
} as const;

interface OutboxRow {
  id: string;
  stream_id: string;
  command_id: string;
  recipient: string;
  subject: string;
  body_text: string;
  body_html: string | null;
  created_at: Date;
  attempts: number;
}

/**
 * The transactional outbox for mail, without a transaction spanning the database and the event store
 * (which may be another server): a row is written BEFORE the event that justifies it, keyed by the
 * command's id, and {@link MailOutbox.dispatch} sends a row only once an event of that command is in the
 * stream. So a crash before the append never sends mail for something that did not happen (the row is
 * dropped as an orphan later), and a crash after it never loses the mail (the row is already there).
 * A retried command (same command id) finds its row in place: one mail, whose token matches the one event.
 *
 * Sending is at least once: a crash between handing a message over and marking it sent sends it again.
 */
@Injectable()
export class MailOutbox implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(MAIL_SENDER) private readonly sender: MailSender,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Writes the mail of a command about to append to `streamId`; a second write for the command is a no-op. */
  async enqueue(mail: OutgoingMail): Promise<void> {
    const now = this.clock.now().toISOString();
    await this.sql.query(
      `INSERT INTO mail_outbox (id, stream_id, command_id, recipient, subject, body_text, body_html, created_at,
         next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
       ON CONFLICT (stream_id, command_id) DO NOTHING`,
      [uuidv7(), mail.streamId, mail.commandId, mail.to, mail.subject, mail.text, mail.html ?? null, now],
    );
  }

  /** Wakes the dispatcher (after the event of an enqueued mail was appended). */
  wake(): void {
    if (!this.stopped) this.schedule(0);
  }

  /**
   * Sends every due row whose event is stored, drops orphans, and reschedules failures with backoff.
   * Returns how many were sent. Runs are serialised; a call during a run waits for it and runs again.
   */
  dispatch(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running.then(() => this.dispatch());
    }
    this.running = this.dispatchNow().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.dispatch()
        .catch((error: unknown) => {
          this.logger.error({ err: error }, 'mail outbox dispatch failed');
        })
        .finally(() => {
          if (!this.stopped) this.schedule(OUTBOX_TIMING.pollIntervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  private async dispatchNow(): Promise<number> {
    let sent = 0;
    do {
      this.again = false;
      const rows = await this.claim();
      for (const row of rows) if (await this.deliver(row)) sent += 1;
      if (rows.length === OUTBOX_TIMING.batchSize) this.again = true;
    } while (this.again && !this.stopped);
    return sent;
  }

  /** Leases due rows so that several command-api instances never send one row at the same time. */
  private async claim(): Promise<OutboxRow[]> {
    const now = this.clock.now();
    const { rows } = await this.sql.query<OutboxRow>(
      `UPDATE mail_outbox SET locked_until = $2
       WHERE id IN (
         SELECT id FROM mail_outbox
         WHERE sent_at IS NULL AND dropped_at IS NULL AND next_attempt_at <= $1
           AND (locked_until IS NULL OR locked_until <= $1)
         ORDER BY next_attempt_at LIMIT $3
         FOR UPDATE SKIP LOCKED)
       RETURNING id, stream_id, command_id, recipient, subject, body_text, body_html, created_at, attempts`,
      [
        now.toISOString(),
        new Date(now.getTime() + OUTBOX_TIMING.leaseMs).toISOString(),
        OUTBOX_TIMING.batchSize,
      ],
    );
    return rows;
  }

  private async deliver(row: OutboxRow): Promise<boolean> {
    const now = this.clock.now();
    const events = await this.store.readStream(row.stream_id);
    if (!events.some((event) => event.metadata.commandId === row.command_id)) {
      if (now.getTime() - new Date(row.created_at).getTime() >= OUTBOX_TIMING.orphanAfterMs) {
        // The command never stored its event: nothing happened that this mail could tell about.
        await this.sql.query(
          `UPDATE mail_outbox SET dropped_at = $2, body_text = '', body_html = NULL, locked_until = NULL
           WHERE id = $1`,
          [row.id, now.toISOString()],
        );
      } else {
        // Its command may still be running: look again shortly.
        await this.release(row, now, OUTBOX_TIMING.baseRetryMs, null);
      }
      return false;
    }
    const message: MailMessage = {
      id: row.id,
      to: row.recipient,
      subject: row.subject,
      text: row.body_text,
      ...(row.body_html === null ? {} : { html: row.body_html }),
    };
    try {
      await this.sender.send(message);
    } catch (error) {
      const delay = Math.min(OUTBOX_TIMING.baseRetryMs * 2 ** row.attempts, OUTBOX_TIMING.maxRetryMs);
      this.logger.warn(
        { err: error, mailId: row.id, attempts: row.attempts + 1 },
        'mail not sent; will retry',
      );
      await this.release(row, now, delay, error instanceof Error ? error.message : String(error));
      return false;
    }
    // The body may carry a secret link: it is not kept once delivered.
    await this.sql.query(
      `UPDATE mail_outbox SET sent_at = $2, attempts = attempts + 1, locked_until = NULL, body_text = '',
         body_html = NULL
       WHERE id = $1`,
      [row.id, this.clock.now().toISOString()],
    );
    return true;
  }

  private async release(row: OutboxRow, now: Date, delayMs: number, error: string | null): Promise<void> {
    await this.sql.query(
      `UPDATE mail_outbox SET next_attempt_at = $2, locked_until = NULL,
         attempts = attempts + $3, last_error = coalesce($4, last_error)
       WHERE id = $1`,
      [row.id, new Date(now.getTime() + delayMs).toISOString(), error === null ? 0 : 1, error],
    );
  }
}

import {
  type CheckpointSigner,
  createCheckpoint,
  MISSING_SIGNING_KEY,
  resolveCheckpointSigner,
  type SignedCheckpoint,
  type VerificationReport,
  type VerifyLogOptions,
  verifyLog,
} from '@tally/audit';
import type { Infrastructure } from '@tally/platform';

/** Checkpoints cannot be signed: full mode without TALLY_AUDIT_SIGNING_KEY. */
export class SigningKeyMissing extends Error {
  override readonly name = 'SigningKeyMissing';
  constructor() {
    super(MISSING_SIGNING_KEY);
  }
}

export interface AuditSchedulerOptions {
  /** Overrides the configured key (tests); `null` means none, as in full mode without a key. */
  readonly signer?: CheckpointSigner | null;
  readonly now?: () => Date;
}

/**
 * Signs checkpoints and verifies the log on the configured schedule (TALLY_AUDIT_CHECKPOINT_SECONDS,
 * TALLY_AUDIT_VERIFY_SECONDS; 0 = off), and on demand. Each job is first due one interval after its last
 * stored run (at once when there is none), so restarting the app does not verify again a log verified
 * minutes ago. Every job, scheduled or
 * requested, runs one after another: a checkpoint never races a verification of the tree it extends, and
 * a slow run is never joined by a second one of the same kind (a tick that finds one pending is skipped).
 */
export class AuditScheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly pending = new Set<'checkpoint' | 'verify'>();
  private signer: CheckpointSigner | null | undefined;
  private warnedNoKey = false;
  private stopped = true;

  constructor(
    private readonly infrastructure: Infrastructure,
    private readonly options: AuditSchedulerOptions = {},
  ) {
    this.signer = options.signer;
  }

  /**
   * Starts both schedules: each runs when it is due (now, if it never ran or its interval has passed since
   * its last stored run), then every interval.
   */
  async start(): Promise<void> {
    this.stopped = false;
    const { TALLY_AUDIT_CHECKPOINT_SECONDS, TALLY_AUDIT_VERIFY_SECONDS } = this.infrastructure.config;
    const last = await this.lastRuns();
    this.every(TALLY_AUDIT_CHECKPOINT_SECONDS, last.checkpoint, 'checkpoint', () =>
      this.scheduledCheckpoint(),
    );
    this.every(TALLY_AUDIT_VERIFY_SECONDS, last.verify, 'verify', () => this.scheduledVerify());
  }

  /** Stops the schedules and waits for the job in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    await this.queue.catch(() => undefined);
  }

  /** Signs a checkpoint now (after any job in flight). Throws {@link SigningKeyMissing} without a key. */
  checkpoint(): Promise<SignedCheckpoint> {
    return this.enqueue(() => {
      const signer = this.resolveSigner();
      if (!signer) throw new SigningKeyMissing();
      return createCheckpoint(this.infrastructure.sql, signer, this.clock());
    });
  }

  /** Verifies the log now (after any job in flight) and records the run. */
  verify(options: Pick<VerifyLogOptions, 'streamId' | 'fromCheckpoint'> = {}): Promise<VerificationReport> {
    return this.enqueue(() => {
      const keyId = this.resolveSigner()?.keyId;
      return verifyLog(this.infrastructure.sql, {
        ...options,
        ...(keyId === undefined ? {} : { expectedKeyId: keyId }),
        ...this.clock(),
      });
    });
  }

  private every(
    seconds: number,
    lastRun: Date | undefined,
    job: 'checkpoint' | 'verify',
    run: () => Promise<unknown>,
  ): void {
    if (seconds <= 0) return;
    const tick = () => {
      if (this.stopped) return;
      if (!this.pending.has(job)) {
        this.pending.add(job);
        void run()
          .catch((error: unknown) => {
            this.infrastructure.logger.error({ err: error }, `audit: scheduled ${job} failed`);
          })
          .finally(() => {
            this.pending.delete(job);
          });
      }
      this.timers.push(setTimeout(tick, seconds * 1000).unref());
    };
    const dueInMs = lastRun ? lastRun.getTime() + seconds * 1000 - this.now().getTime() : 0;
    if (dueInMs <= 0) tick();
    else this.timers.push(setTimeout(tick, dueInMs).unref());
  }

  /** When each job last ran, from the audit tables; unknown (so due now) when they cannot be read. */
  private async lastRuns(): Promise<{ checkpoint?: Date; verify?: Date }> {
    try {
      const { rows } = await this.infrastructure.sql.query<{ checkpoint: Date | null; verify: Date | null }>(
        `SELECT (SELECT max(created_at) FROM audit_checkpoints) AS checkpoint,
           (SELECT max(finished_at) FROM audit_verifications WHERE scope = 'all') AS verify`,
      );
      const row = rows[0];
      return {
        ...(row?.checkpoint ? { checkpoint: new Date(row.checkpoint) } : {}),
        ...(row?.verify ? { verify: new Date(row.verify) } : {}),
      };
    } catch (error) {
      this.infrastructure.logger.warn({ err: error }, 'audit: last runs unknown; both jobs are due now');
      return {};
    }
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private async scheduledCheckpoint(): Promise<void> {
    if (!this.resolveSigner()) {
      if (!this.warnedNoKey) {
        this.warnedNoKey = true;
        this.infrastructure.logger.warn(`audit: no checkpoints are signed. ${MISSING_SIGNING_KEY}`);
      }
      return;
    }
    const checkpoint = await this.checkpoint();
    this.infrastructure.logger.info(
      { sequence: checkpoint.sequence, leafCount: checkpoint.leafCount, upTo: checkpoint.upTo },
      'audit: checkpoint signed',
    );
  }

  private async scheduledVerify(): Promise<void> {
    const report = await this.verify();
    const summary = {
      eventsChecked: report.eventsChecked,
      lastVerifiedCheckpoint: report.lastVerifiedCheckpoint,
      streams: report.streams,
      checkpoints: report.checkpoints,
      foreignKeys: report.foreignKeys,
    };
    if (report.ok) this.infrastructure.logger.info(summary, 'audit: log verified');
    else
      this.infrastructure.logger.error(summary, 'audit: the log does not verify (tampering or corruption)');
  }

  private resolveSigner(): CheckpointSigner | undefined {
    // Embedded mode generates its key at first use, so a process that never signs writes no key file.
    if (this.signer === undefined) this.signer = resolveCheckpointSigner(this.infrastructure.config) ?? null;
    return this.signer ?? undefined;
  }

  private clock(): { now?: () => Date } {
    return this.options.now ? { now: this.options.now } : {};
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const result = this.queue.then(job, job);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

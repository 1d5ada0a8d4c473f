import type { Writable } from 'node:stream';

export interface ProgressBarOptions {
  readonly label: string;
  /** Total units of work; `undefined` when unknown (no ETA, no percentage). */
  readonly total: number | undefined;
  readonly stream: Writable;
  /** Redraw in place (a terminal) or print a plain line at most every `lineIntervalMs`. */
  readonly interactive: boolean;
  readonly unit?: string;
  readonly lineIntervalMs?: number;
  readonly now?: () => number;
}

/**
 * A progress bar for long work: done/total, rate (units/s over the whole run) and ETA. On a terminal it
 * redraws one line (at most 10 times a second); in a log it prints a line every few seconds.
 */
export class ProgressBar {
  private readonly started: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastLine = '';
  private done = 0;
  private total: number | undefined;
  private readonly unit: string;
  private readonly lineIntervalMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ProgressBarOptions) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.total = options.total;
    this.unit = options.unit ?? 'events';
    this.lineIntervalMs = options.lineIntervalMs ?? 5000;
  }

  /** Sets the work done so far (and the total, when it became known or grew). */
  update(done: number, total?: number): void {
    this.done = done;
    if (total !== undefined) this.total = total;
    const now = this.now();
    const interval = this.options.interactive ? 100 : this.lineIntervalMs;
    if (now - this.lastDraw < interval) return;
    this.lastDraw = now;
    this.draw(false);
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    this.draw(true);
  }

  /** The current line, without terminal control characters. */
  line(): string {
    const seconds = Math.max(0.001, (this.now() - this.started) / 1000);
    const rate = this.done / seconds;
    const parts = [this.options.label];
    if (this.total !== undefined && this.total > 0) {
      const fraction = Math.min(1, this.done / this.total);
      const width = 24;
      const filled = Math.round(fraction * width);
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}%`);
      parts.push(`${formatCount(this.done)}/${formatCount(this.total)} ${this.unit}`);
    } else {
      parts.push(`${formatCount(this.done)} ${this.unit}`);
    }
    parts.push(`${formatCount(Math.round(rate))} ${this.unit}/s`);
    if (this.total !== undefined && rate > 0 && this.done < this.total) {
      parts.push(`ETA ${formatDuration((this.total - this.done) / rate)}`);
    } else {
      parts.push(`elapsed ${formatDuration(seconds)}`);
    }
    return parts.join('  ');
  }

  private draw(final: boolean): void {
    const text = this.line();
    if (this.options.interactive) {
      this.options.stream.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    } else if (text !== this.lastLine) {
      // In a log, the final line repeats nothing already printed.
      this.options.stream.write(`${text}\n`);
    }
    this.lastLine = text;
  }
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

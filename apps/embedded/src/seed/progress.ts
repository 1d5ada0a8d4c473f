/** Where progress goes: a terminal gets one redrawn line, anything else (CI logs, a pipe) a line per 10%. */
export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(chunk: string): unknown;
}

/** A progress bar on stderr while the demo catalog is seeded. */
export class ProgressBar {
  private done = 0;
  private lastDecile = 0;

  constructor(
    private readonly output: ProgressOutput,
    private readonly label: string,
    private readonly total: number,
    private readonly width = 30,
  ) {
    if (output.isTTY) this.draw();
  }

  tick(count = 1): void {
    this.done = Math.min(this.total, this.done + count);
    if (this.output.isTTY) {
      this.draw();
      return;
    }
    const decile = this.total === 0 ? 10 : Math.floor((this.done * 10) / this.total);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.output.write(`${this.label}: ${decile * 10}% (${this.done}/${this.total})\n`);
    }
  }

  /** Ends the redrawn line on a terminal. */
  finish(): void {
    if (this.output.isTTY) this.output.write('\n');
  }

  private draw(): void {
    const ratio = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.round(ratio * this.width);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}`;
    this.output.write(
      `\r${this.label} [${bar}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${this.done}/${this.total}`,
    );
  }
}

/** Where command-api reads the time a command was issued (injected so tests can pin it). */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };

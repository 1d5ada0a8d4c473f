import { COMMUTING_RETRY, PROCESS_RETRY, retryDelayMs, type RetryPolicy } from './retry-policy';

describe('retryDelayMs', () => {
  const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 25 };

  it('never retries without a policy (non-commuting commands)', () => {
    expect(retryDelayMs(undefined, 1, () => 0.5)).toBeUndefined();
  });

  it('doubles the jitter cap per failed attempt up to the maximum', () => {
    const top = () => 0.999999;
    expect(retryDelayMs(policy, 1, top)).toBe(9);
    expect(retryDelayMs(policy, 2, top)).toBe(19);
    expect(retryDelayMs(policy, 3, top)).toBe(24);
  });

  it('draws the delay uniformly below the cap', () => {
    expect(retryDelayMs(policy, 2, () => 0)).toBe(0);
    expect(retryDelayMs(policy, 2, () => 0.5)).toBe(10);
  });

  it('stops after maxAttempts attempts in total', () => {
    expect(retryDelayMs(policy, 4, () => 0.5)).toBeUndefined();
    expect(retryDelayMs(COMMUTING_RETRY, COMMUTING_RETRY.maxAttempts, () => 0.5)).toBeUndefined();
  });

  it('keeps the total wait of the default policy bounded', () => {
    let total = 0;
    for (let attempt = 1; attempt < COMMUTING_RETRY.maxAttempts; attempt += 1) {
      total += retryDelayMs(COMMUTING_RETRY, attempt, () => 0.999999) ?? 0;
    }
    expect(total).toBeLessThan(500);
  });

  it('keeps the longest wait for a process command below the 5 s command timeout of its sender', () => {
    let total = 0;
    for (let attempt = 1; attempt < PROCESS_RETRY.maxAttempts; attempt += 1) {
      total += retryDelayMs(PROCESS_RETRY, attempt, () => 0.999999) ?? 0;
    }
    expect(total).toBeLessThan(3000);
  });
});

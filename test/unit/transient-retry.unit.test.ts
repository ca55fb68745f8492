import { silentLogger } from '../../src/app/logger';
import { withTransientRetry, type TransientRetryPolicy } from '../../src/app/transient-retry';
import { TransientStoreError } from '../../src/ports/store';

const POLICY: TransientRetryPolicy = { initialDelayMs: 100, maxDelayMs: 1_000, budgetMs: 5_000 };

/** A virtual clock: sleeping advances it, so the schedule is exact and the test takes no time. */
function virtualTime(random = () => 0.5) {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    deps: {
      log: silentLogger,
      random,
      monotonicMs: () => now,
      sleep: (ms: number) => {
        sleeps.push(ms);
        now += ms;
        return Promise.resolve();
      },
    },
  };
}

function failing(times: number, error: () => Error = () => new TransientStoreError('unavailable', 'down')) {
  let calls = 0;
  return {
    work: () => {
      calls += 1;
      return calls <= times ? Promise.reject(error()) : Promise.resolve(`done after ${calls}`);
    },
    calls: () => calls,
  };
}

describe('retrying a throttling or unreachable store', () => {
  it('retries until the store answers, with exponential delays capped at maxDelayMs', async () => {
    const time = virtualTime();
    const flaky = failing(6);
    await expect(withTransientRetry(flaky.work, POLICY, time.deps)).resolves.toBe('done after 7');
    // ceiling 100, 200, 400, 800, 1000, 1000; with random 0.5 each delay is three quarters of it
    expect(time.sleeps).toEqual([75, 150, 300, 600, 750, 750]);
  });

  it('keeps half of each delay fixed and jitters the other half', async () => {
    const low = virtualTime(() => 0);
    const high = virtualTime(() => 0.999_999);
    await withTransientRetry(failing(3).work, POLICY, low.deps);
    await withTransientRetry(failing(3).work, POLICY, high.deps);
    expect(low.sleeps).toEqual([50, 100, 200]);
    expect(high.sleeps.map(Math.round)).toEqual([100, 200, 400]);
  });

  it('gives the failure back once the next wait would pass the budget', async () => {
    const time = virtualTime();
    const down = failing(Number.POSITIVE_INFINITY);
    await expect(withTransientRetry(down.work, POLICY, time.deps)).rejects.toBeInstanceOf(
      TransientStoreError,
    );
    const waited = time.sleeps.reduce((a, b) => a + b, 0);
    expect(waited).toBeLessThanOrEqual(POLICY.budgetMs);
    expect(waited + 750).toBeGreaterThan(POLICY.budgetMs);
    expect(down.calls()).toBe(time.sleeps.length + 1);
  });

  it("waits at least the store's retry-after when it throttles", async () => {
    const time = virtualTime();
    const throttled = failing(1, () => new TransientStoreError('throttled', '429', 900));
    await withTransientRetry(throttled.work, POLICY, time.deps);
    expect(time.sleeps).toEqual([900]);
  });

  it('rethrows any other error at once', async () => {
    const time = virtualTime();
    const broken = failing(1, () => new Error('a bug'));
    await expect(withTransientRetry(broken.work, POLICY, time.deps)).rejects.toThrow('a bug');
    expect(time.sleeps).toEqual([]);
  });

  it('stops retrying when the host is stopping', async () => {
    const time = virtualTime();
    const stop = new AbortController();
    stop.abort();
    const down = failing(Number.POSITIVE_INFINITY);
    await expect(
      withTransientRetry(down.work, POLICY, { ...time.deps, signal: stop.signal }),
    ).rejects.toBeInstanceOf(TransientStoreError);
    expect(down.calls()).toBe(1);
  });
});

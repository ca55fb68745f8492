import {
  categorize,
  type CpuProfile,
  summarizeProfile,
  threadIdOf,
} from '../../tools/loadtest/profile-summary';

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 0 },
  children,
});

describe('profile summary', () => {
  it('puts a native callee (a SQLite statement) under the code that called it', () => {
    const profile: CpuProfile = {
      nodes: [
        frame(1, '(root)', '', [2, 5, 6]),
        frame(2, 'flush', 'file:///x/dist/src/adapters/embedded/queue/group-commit.js', [3]),
        frame(
          3,
          'sqliteTransaction',
          'file:///x/node_modules/better-sqlite3/lib/methods/transaction.js',
          [4],
        ),
        frame(4, 'run', ''),
        frame(5, '(idle)', ''),
        frame(6, 'parserOnHeadersComplete', 'node:_http_common'),
      ],
      startTime: 0,
      endTime: 3_000_000,
      samples: [4, 4, 5, 6],
      timeDeltas: [1000, 1000, 2_000_000, 500],
    };
    const s = summarizeProfile(profile, '/tmp/CPU.20260101.000000.42.1.002.cpuprofile');
    expect(s.threadId).toBe(1);
    expect(s.byCategory['queue writes (accept inserts, deletes), fsync']).toBe(2);
    expect(s.byCategory['HTTP parsing and writing']).toBe(0.5);
    expect(s.byCategory.idle).toBe(2000);
    expect(s.busyMs).toBe(3);
    expect(s.topFunctions[0]).toEqual({ name: 'run (native)', ms: 2 });
  });

  it('tells store reads from the consumer thread writes, and leaves unknown frames to their caller', () => {
    const store = 'file:///x/dist/src/adapters/embedded/embedded-store.js';
    expect(categorize({ functionName: 'listRows', url: store })).toBe('store reads (SQLite queries)');
    expect(categorize({ functionName: 'flushBatches', url: store })).toBe('decision processing');
    expect(categorize({ functionName: '', url: store })).toBeNull();
    expect(categorize({ functionName: 'parse', url: '' })).toBe('JSON and validation');
    expect(categorize({ functionName: '(garbage collector)', url: '' })).toBe('GC');
    expect(categorize({ functionName: 'foo', url: 'node:internal/timers' })).toBeNull();
  });

  it('reads the thread id from the file name Node gives each thread', () => {
    expect(threadIdOf('CPU.20261129.095949.6073.0.001.cpuprofile')).toBe(0);
    expect(threadIdOf('CPU.20261129.095950.6073.3.004.cpuprofile')).toBe(3);
    expect(threadIdOf('other.json')).toBe(-1);
  });
});

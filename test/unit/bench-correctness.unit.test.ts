import { parseArgs, UsageError, USAGE } from '../../tools/bench/args';
import { benchModes, benchRun, DEFAULT_CONFIG, type BenchConfig, type ModeSpec } from '../../tools/bench/run';
import { ledgerPageId } from '../../src/domain/ids';
import type { InventoryItem } from '../../src/domain/model';

// A tiny configuration: it must finish by command count, not by the time cap. With 128 commands outstanding
// the hot item's k = 99 calls are full, so batches are filled up to the 100-operation limit.
const config: BenchConfig = {
  ...DEFAULT_CONFIG,
  commands: 200,
  seconds: 30,
  clients: 128,
  items: 20,
  delayMs: 1,
};
const modes = benchModes([10, 99]);

function mode(id: string): ModeSpec {
  const found = modes.find((m) => m.id === id);
  if (!found) throw new Error(`no mode ${id}`);
  return found;
}

describe('bench runs pass the correctness check', () => {
  describe.each(['hot', 'zipf'] as const)('%s scenario', (scenario) => {
    it.each(modes.map((m) => [m.id, m] as const))('%s decides every command once', async (_id, spec) => {
      const run = await benchRun(config, scenario, 'delayed', spec);
      expect(run.check.problems).toEqual([]);
      expect(run.check.ok).toBe(true);
      expect(run.decided).toBe(200);
      expect(run.check.events).toBe(200);
      expect(run.held + run.rejected).toBe(200);
      expect(run.held).toBeGreaterThan(run.rejected);
      expect(run.rejected).toBeGreaterThan(0);
    });
  });

  it('counts the conflicts of the optimistic baseline on one hot item', async () => {
    const run = await benchRun({ ...config, delayMs: 0 }, 'hot', 'embedded', mode('optimistic'));
    expect(run.check.ok).toBe(true);
    expect(run.conflicts).toBeGreaterThan(0);
  });
});

describe('the correctness check flags a corrupted run', () => {
  it('flags an item counter that no longer matches its ledger', async () => {
    const run = await benchRun({ ...config, delayMs: 0 }, 'hot', 'embedded', mode('group-10'), {
      beforeCheck: async (store) => {
        const id = 'bench-item-00000';
        const item = await store.read<InventoryItem>(id, id);
        if (!item) throw new Error('item missing');
        const tampered: InventoryItem = { ...item.doc, available: item.doc.available + 1 };
        const result = await store.replace(id, tampered, item.etag);
        expect(result.ok).toBe(true);
      },
    });
    expect(run.check.ok).toBe(false);
    expect(run.check.problems.join('\n')).toMatch(/available is \d+, the ledger replays to \d+/);
  });

  it('flags a decided command missing from the ledger', async () => {
    const run = await benchRun({ ...config, delayMs: 0 }, 'hot', 'embedded', mode('one-cached'), {
      beforeCheck: async (store) => {
        const id = 'bench-item-00000';
        const item = await store.read<InventoryItem>(id, id);
        if (!item) throw new Error('item missing');
        // One message per commit: the last decision's ledger page holds its event alone.
        const last = ledgerPageId(item.doc.seq);
        const result = await store.batch(id, [{ op: 'delete', id: last }]);
        expect(result.ok).toBe(true);
      },
    });
    expect(run.check.ok).toBe(false);
    expect(run.check.problems.join('\n')).toMatch(/appears 0 times in the ledger/);
  });
});

describe('bench flags', () => {
  it('takes valid flags and the quick preset', () => {
    const args = parseArgs(['--quick', '--delay-ms', '2', '--group-sizes=10,49', '--scenarios', 'hot']);
    expect(args.config.delayMs).toBe(2);
    expect(args.config.seconds).toBeLessThan(DEFAULT_CONFIG.seconds);
    expect(args.groupSizes).toEqual([10, 49]);
    expect(args.scenarios).toEqual(['hot']);
  });

  it('prints only by default: the tracked docs are overwritten only with --write', () => {
    expect(parseArgs([]).write).toBe(false);
    expect(parseArgs(['--quick']).write).toBe(false);
    expect(parseArgs(['--no-write']).write).toBe(false);
    expect(parseArgs(['--write']).write).toBe(true);
    expect(USAGE).toMatch(/--write +also overwrite docs\/BENCHMARKS\.md/);
  });

  it.each([
    [['--write', '--no-write'], /contradict/],
    [['--write=yes'], /takes no value/],
    [['--delay'], /unknown option --delay/],
    [['--delay-ms', '-1'], /--delay-ms must be a number from 0/],
    [['--sessions', '2.5'], /--sessions must be an integer/],
    [['--scenarios', 'cold'], /--scenarios takes/],
    [['--group-sizes', '1'], /--group-sizes takes/],
    [['--seconds'], /needs a value/],
    [['extra'], /unexpected argument/],
    [['--quick=yes'], /takes no value/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

import { HOT_ITEM_TARGET_RATE, targetLines, type Targets } from '../../tools/bench/report';

const targets = (decidedPerSecond: number, delayMs = 5, checkOk = true): Targets => ({
  evaluated: true,
  delayMs,
  rows: [
    {
      mode: 'group-10',
      decidedPerSecond: 1_000,
      rateMet: false,
      ratioToRead: 10,
      ratioToCached: 5,
      ratioMet: true,
      checkOk: true,
    },
    {
      mode: 'group-98',
      decidedPerSecond,
      rateMet: true,
      ratioToRead: 100,
      ratioToCached: 50,
      ratioMet: true,
      checkOk,
    },
  ],
  met: true,
  bestMode: 'group-98',
  oneRead: 100,
  oneCached: 200,
  optimistic: 90,
  optimisticConflicts: 10,
});

const verdict = (lines: string[]) => lines.find((line) => line.startsWith('Best group commit')) ?? '';

describe('the hot-item target of issue 13 in the bench report', () => {
  it('is met by the best group size at 12,000 decided/s or more behind 5 ms', () => {
    expect(verdict(targetLines(targets(HOT_ITEM_TARGET_RATE)))).toMatch(/12,000 decided\/s .* MET\.$/);
    expect(verdict(targetLines(targets(HOT_ITEM_TARGET_RATE)))).not.toContain('NOT MET');
  });

  it('is not met below 12,000 decided/s, nor behind a shorter round trip', () => {
    expect(verdict(targetLines(targets(HOT_ITEM_TARGET_RATE - 1)))).toContain('NOT MET');
    expect(verdict(targetLines(targets(20_000, 0)))).toContain('NOT MET');
  });

  it('counts no run whose invariant check failed, however fast', () => {
    expect(verdict(targetLines(targets(20_000, 5, false)))).toContain('NOT MET');
  });
});

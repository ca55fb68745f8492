import { parseArgs } from '../../tools/loadtest/args';
import { ToolArgsError, ToolHelpRequested } from '../../tools/run-main';

const problems = (argv: string[]): string[] => {
  try {
    parseArgs(argv, {});
  } catch (error) {
    if (error instanceof ToolArgsError) return error.problems;
    throw error;
  }
  throw new Error('expected ToolArgsError');
};

describe('parseArgs', () => {
  it('applies defaults: closed loop with 32 in flight against localhost', () => {
    const o = parseArgs([], {});
    expect(o).toMatchObject({
      url: 'http://localhost:7071/api',
      items: 100,
      stock: 100,
      requests: 1000,
      quantity: 1,
      distribution: 'uniform',
      zipfSkew: 1.1,
      rate: undefined,
      concurrency: 32,
      confirmFraction: 0,
      cancelFraction: 0,
      progress: true,
    });
    expect(o.cartLines).toBeUndefined();
    expect(o.runId).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
  });

  it('reads every flag, in both --flag value and --flag=value forms', () => {
    const o = parseArgs(
      [
        '--url=https://app.azurewebsites.net/api/',
        '--key',
        'k1',
        '--items',
        '1000',
        '--stock=5',
        '--requests',
        '30000',
        '--quantity',
        '2',
        '--cart-lines',
        '3',
        '--distribution',
        'zipf',
        '--zipf-skew',
        '1.5',
        '--rate',
        '6000',
        '--warmup=1.5',
        '--confirm-fraction',
        '0.25',
        '--cancel-fraction',
        '0.75',
        '--hold-seconds',
        '60',
        '--decide-timeout',
        '30',
        '--request-timeout',
        '5',
        '--max-sockets',
        '64',
        '--seed',
        '7',
        '--run-id',
        'abc',
        '--out',
        'x.json',
        '--no-progress',
      ],
      {},
    );
    expect(o).toEqual({
      url: 'https://app.azurewebsites.net/api',
      key: 'k1',
      items: 1000,
      stock: 5,
      requests: 30000,
      quantity: 2,
      cartLines: 3,
      distribution: 'zipf',
      zipfSkew: 1.5,
      rate: 6000,
      concurrency: undefined,
      warmup: 1.5,
      confirmFraction: 0.25,
      cancelFraction: 0.75,
      holdSeconds: 60,
      decideTimeout: 30,
      requestTimeout: 5,
      maxSockets: 64,
      seed: 7,
      runId: 'abc',
      out: 'x.json',
      progress: false,
      ceiling: false,
      idempotencyKeys: false,
    });
  });

  it('takes the key from LOADTEST_FUNCTION_KEY unless --key is given', () => {
    expect(parseArgs([], { LOADTEST_FUNCTION_KEY: 'env' }).key).toBe('env');
    expect(parseArgs(['--key', 'flag'], { LOADTEST_FUNCTION_KEY: 'env' }).key).toBe('flag');
  });

  it('rejects unknown flags, stray words and missing values', () => {
    expect(problems(['--bogus', '1'])).toEqual(['unknown flag --bogus (see --help)']);
    expect(problems(['items'])[0]).toMatch(/unexpected argument/);
    expect(problems(['--items'])).toEqual(['--items needs a value']);
    expect(problems(['--items', '--stock', '3'])).toContain('--items needs a value');
  });

  it('rejects non-numeric, negative, fractional and out-of-range numbers', () => {
    expect(problems(['--items', 'ten'])).toEqual(['--items must be a number, got "ten"']);
    expect(problems(['--requests', '-5'])[0]).toMatch(/--requests must be between 1/);
    expect(problems(['--stock', '-1'])[0]).toMatch(/--stock must be between 0/);
    expect(problems(['--concurrency', '2.5'])[0]).toMatch(/--concurrency must be an integer/);
    expect(problems(['--rate', '0'])[0]).toMatch(/--rate must be greater than 0/);
    expect(problems(['--zipf-skew', '-1'])[0]).toMatch(/--zipf-skew/);
  });

  it('rejects fractions outside 0..1 and confirm + cancel above 1', () => {
    expect(problems(['--confirm-fraction', '1.2'])[0]).toMatch(
      /--confirm-fraction must be at least 0 and at most 1/,
    );
    expect(problems(['--cancel-fraction', '-0.1'])[0]).toMatch(/--cancel-fraction/);
    expect(problems(['--confirm-fraction', '0.6', '--cancel-fraction', '0.5'])).toEqual([
      '--confirm-fraction plus --cancel-fraction must not exceed 1',
    ]);
  });

  it('rejects a bad URL, a bad distribution, and rate with concurrency', () => {
    expect(problems(['--url', 'localhost:7071'])[0]).toMatch(/--url must be an http\(s\) URL/);
    expect(problems(['--url', 'ftp://x/api'])[0]).toMatch(/--url/);
    expect(problems(['--distribution', 'pareto'])[0]).toMatch(
      /--distribution must be one of uniform, hot, zipf/,
    );
    expect(problems(['--rate', '10', '--concurrency', '4'])[0]).toMatch(/exclusive/);
  });

  it('reports every problem at once', () => {
    expect(problems(['--bogus', 'x', '--items', 'x', '--url', 'nope'])).toHaveLength(3);
  });

  it('signals --help', () => {
    expect(() => parseArgs(['--help'], {})).toThrow(ToolHelpRequested);
  });

  describe('--cart-lines', () => {
    it('turns on cart mode with 1 to 50 lines, with either load shape', () => {
      expect(parseArgs(['--cart-lines', '1'], {}).cartLines).toBe(1);
      expect(parseArgs(['--cart-lines=50', '--items', '50'], {}).cartLines).toBe(50);
      const open = parseArgs(['--cart-lines', '3', '--rate', '100', '--items', '3'], {});
      expect(open).toMatchObject({ cartLines: 3, rate: 100, concurrency: undefined, items: 3 });
      const closed = parseArgs(['--cart-lines', '3', '--concurrency', '8', '--confirm-fraction', '0.5'], {});
      expect(closed).toMatchObject({ cartLines: 3, concurrency: 8, confirmFraction: 0.5 });
    });

    it('refuses 0, more than 50, fractions and words', () => {
      expect(problems(['--cart-lines', '0'])).toEqual(['--cart-lines must be between 1 and 50']);
      expect(problems(['--cart-lines', '51'])).toEqual(['--cart-lines must be between 1 and 50']);
      expect(problems(['--cart-lines', '2.5'])).toEqual(['--cart-lines must be an integer']);
      expect(problems(['--cart-lines', 'three'])).toEqual(['--cart-lines must be a number, got "three"']);
      expect(problems(['--cart-lines'])).toEqual(['--cart-lines needs a value']);
    });

    it("refuses more lines than there are items, since a cart's lines are on distinct items", () => {
      expect(problems(['--cart-lines', '5', '--items', '4'])).toEqual([
        "--cart-lines 5 needs at least 5 items, but --items is 4 (a cart's lines are on distinct items)",
      ]);
      // The default is 100 items, so 50 lines fit; exactly as many lines as items is fine.
      expect(parseArgs(['--cart-lines', '4', '--items', '4'], {}).cartLines).toBe(4);
      expect(problems(['--cart-lines', '2', '--items', '1', '--distribution', 'hot'])[0]).toMatch(
        /--cart-lines 2 needs at least 2 items/,
      );
    });

    it('takes --idempotency-keys as a switch, off unless given', () => {
      expect(parseArgs(['--idempotency-keys'], {}).idempotencyKeys).toBe(true);
      expect(parseArgs([], {}).idempotencyKeys).toBe(false);
      expect(problems(['--idempotency-keys=1'])).toEqual([
        '--idempotency-keys=1: --idempotency-keys takes no value',
      ]);
    });

    it('takes --warmup in seconds (0 unless given), and refuses one that would leave nothing to measure', () => {
      expect(parseArgs([], {}).warmup).toBe(0);
      expect(parseArgs(['--warmup', '5', '--rate', '100', '--requests', '3000'], {}).warmup).toBe(5);
      expect(parseArgs(['--warmup=2.5', '--concurrency', '8'], {}).warmup).toBe(2.5);
      expect(problems(['--warmup', '-1'])).toEqual(['--warmup must be at least 0 and at most 3600']);
      expect(problems(['--warmup', 'soon'])).toEqual(['--warmup must be a number, got "soon"']);
      expect(problems(['--warmup', '10', '--rate', '100', '--requests', '1000'])).toEqual([
        '--warmup 10 s at --rate 100 takes all 1000 requests: none would be measured',
      ]);
    });

    it('takes --ceiling as a switch, refuses a value for it and its use in cart mode', () => {
      expect(parseArgs(['--ceiling'], {}).ceiling).toBe(true);
      expect(problems(['--ceiling=yes'])).toEqual(['--ceiling=yes: --ceiling takes no value']);
      expect(problems(['--ceiling', '--cart-lines', '2'])).toEqual([
        '--ceiling measures single reservations; it cannot be combined with --cart-lines',
      ]);
    });
  });
});

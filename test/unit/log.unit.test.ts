import { jsonLogSink } from '../../src/local/log';

/** The local host's JSON lines speak LOG_LEVEL's four words, whatever the Functions context calls a level. */

function capture(run: () => void): { stream: 'stdout' | 'stderr'; line: Record<string, unknown> }[] {
  const lines: { stream: 'stdout' | 'stderr'; line: Record<string, unknown> }[] = [];
  const record = (stream: 'stdout' | 'stderr') => (chunk: string | Uint8Array) => {
    lines.push({ stream, line: JSON.parse(String(chunk)) as Record<string, unknown> });
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(record('stdout'));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(record('stderr'));
  try {
    run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines;
}

describe('local log lines', () => {
  it.each([
    ['debug', 'debug'],
    ['information', 'info'],
    ['info', 'info'],
    ['warning', 'warn'],
    ['warn', 'warn'],
    ['error', 'error'],
    ['critical', 'error'],
  ])('say %s as %s, a word LOG_LEVEL takes', (level, word) => {
    const [written] = capture(() => jsonLogSink('debug')(level, { msg: 'x' }));
    expect(written?.line.level).toBe(word);
    expect(['debug', 'info', 'warn', 'error']).toContain(written?.line.level);
  });

  it('keep what is below LOG_LEVEL out, and put warnings and errors on stderr', () => {
    const lines = capture(() => {
      const sink = jsonLogSink('warn');
      sink('information', { msg: 'dropped' });
      sink('debug', { msg: 'dropped' });
      sink('warning', { msg: 'kept' });
      sink('error', { msg: 'kept' });
    });
    expect(lines.map((l) => [l.stream, l.line.level, l.line.msg])).toEqual([
      ['stderr', 'warn', 'kept'],
      ['stderr', 'error', 'kept'],
    ]);
  });

  it('merge a JSON message a handler logged through its InvocationContext', () => {
    const [written] = capture(() =>
      jsonLogSink('info')('information', {
        function: 'postReservation',
        message: '{"msg":"accepted","n":1}',
      }),
    );
    expect(written?.line).toMatchObject({
      level: 'info',
      function: 'postReservation',
      msg: 'accepted',
      n: 1,
    });
  });
});

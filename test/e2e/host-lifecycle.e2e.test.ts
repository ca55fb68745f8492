import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MAIN_JS, REPO_ROOT, startHostProcess } from '../support/host-process';
import { ApiClient } from '../support/http-client';

/**
 * The compiled host run the way the README tells a supervisor to run it (`node dist/src/local/main.js`):
 * a stop signal ends it cleanly and promptly with the port closed, and a bad DATA_DIR stops the start with
 * a message naming it rather than a stack trace. Loopback only, every wait bounded.
 */

let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'e2e-lifecycle-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Resolves true when nothing accepts a connection on 127.0.0.1:port (within 2 s). */
function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('the host under a supervisor', () => {
  it('is documented in the README as `node dist/src/local/main.js`, the command these tests run', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('start `node dist/src/local/main.js` itself');
    expect(path.relative(REPO_ROOT, MAIN_JS).split(path.sep).join('/')).toBe('dist/src/local/main.js');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops on %s with exit code 0 within 10 s, with a command just accepted, and closes its port',
    async (signal) => {
      const dataDir = path.join(root, `data-${signal}`);
      const host = await startHostProcess({ dataDir });
      try {
        const api = new ApiClient(host.url);
        await api.createItem('sku-stop', 5);
        const accepted = await api.reserve({ inventoryId: 'sku-stop', quantity: 1, userId: 'u-1' });
        expect(accepted.status).toBe(202);
        const port = Number(new URL(host.url).port);

        const started = Date.now();
        const exit = await host.stop(signal, 10_000);
        expect({ exit, within10s: Date.now() - started < 10_000 }).toEqual({
          exit: { code: 0, signal: null },
          within10s: true,
        });
        expect(host.output.join('\n')).toContain('stopped cleanly');
        expect(await portClosed(port)).toBe(true);
      } finally {
        await host.stop('SIGKILL', 5_000);
      }
    },
    30_000,
  );
});

describe('a DATA_DIR the host cannot use', () => {
  /** Runs the compiled host to its exit (bounded) and returns its exit code and what it wrote. */
  function run(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [MAIN_JS], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`host did not exit within 10 s:\n${out}`));
      }, 10_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
  }

  it('stops the start with exit code 2 and a message naming DATA_DIR and the path, not a stack trace', async () => {
    const file = path.join(root, 'not-a-folder');
    writeFileSync(file, 'x');
    for (const [dataDir, problem] of [
      [file, 'is a file, not a folder'],
      [path.join(file, 'data'), `cannot be created: ${file} is a file, not a folder`],
    ] as const) {
      const { code, out } = await run({ DATA_DIR: dataDir });
      expect({ code, out }).toEqual({
        code: 2,
        out: expect.stringContaining(`DATA_DIR ${dataDir} ${problem}`),
      });
      expect(out).not.toMatch(/^\s+at /m);
      expect(out).not.toContain('listening');
    }
  }, 30_000);
});

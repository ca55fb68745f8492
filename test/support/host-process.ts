import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loopback } from './http-client';

/**
 * The compiled one-machine host (`node dist/src/local/main.js`) as a child process: started on PORT=0,
 * its URL read from the JSON "listening" line it logs, stopped by a signal. Every wait is bounded.
 */

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const MAIN_JS = path.join(REPO_ROOT, 'dist', 'src', 'local', 'main.js');
/** The compiled write gate, for threads a test starts from plain JavaScript. */
export const GATE_JS = path.join(REPO_ROOT, 'dist', 'src', 'adapters', 'embedded', 'write-gate.js');

export interface HostProcess {
  /** API root on 127.0.0.1, e.g. `http://127.0.0.1:41234/api`. */
  url: string;
  child: ChildProcess;
  /** Every line the host wrote to stdout and stderr so far. */
  output: string[];
  /** Resolves with the exit code (or the signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits (bounded) for the process to end; escalates to SIGKILL past the bound. */
  stop(
    signal?: NodeJS.Signals,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  dataDir: string;
  /** Extra environment; LOG_LEVEL must stay `info` or `debug`, since the listening line is logged at info. */
  env?: Record<string, string>;
  /** How long to wait for the listening line (default 15 s). */
  timeoutMs?: number;
}

export async function startHostProcess(options: StartOptions): Promise<HostProcess> {
  if (!existsSync(MAIN_JS))
    throw new Error(`${MAIN_JS} is missing: jest's global setup (test/support/global-build.ts) compiles it`);
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      DATA_DIR: options.dataDir,
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let alive = true;
  void exited.then(() => {
    alive = false;
  });

  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`host did not log its URL within ${options.timeoutMs ?? 15_000} ms:\n${output.join('\n')}`),
      );
    }, options.timeoutMs ?? 15_000);
    const onLine = (line: string) => {
      output.push(line);
      if (!line.includes('"url"')) return;
      try {
        const parsed = JSON.parse(line) as { url?: unknown };
        if (typeof parsed.url === 'string') {
          clearTimeout(timer);
          resolve(loopback(parsed.url));
        }
      } catch {
        // not the listening line
      }
    };
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => output.push(...chunk.split('\n').filter(Boolean)));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(`host exited (code ${code}, signal ${signal}) before listening:\n${output.join('\n')}`),
      );
    });
  });

  return {
    url,
    child,
    output,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000) {
      if (!alive) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

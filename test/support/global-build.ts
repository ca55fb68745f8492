/**
 * Jest's global setup: compiles src/ and functions/ to dist/ once, before any suite starts. Suites that run
 * the compiled host (or load its modules in a thread or child process) only read dist/. When each suite
 * compiled for itself, one suite's tsc rewrote dist/ while another's host was loading it, and a host could
 * start from a half-written module ("QueueCore is not a constructor").
 *
 * Others may be editing src/ meanwhile: a type error elsewhere still emits JavaScript, so only a missing
 * entry point is fatal here; `npm test` type-checks in its own step first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { MAIN_JS, REPO_ROOT } from './host-process';

export default function buildDist(): void {
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
      timeout: 180_000,
    });
  } catch (error) {
    if (!existsSync(MAIN_JS)) throw error;
    const out = (error as { stdout?: Buffer }).stdout?.toString() ?? String(error);
    process.stderr.write(
      `tsc reported errors; the suites run the emitted JavaScript anyway:\n${out.slice(0, 2000)}\n`,
    );
  }
}

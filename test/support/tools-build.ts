import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Compiles tools/ exactly as `npm run audit|loadtest|bench` does (tools/tsconfig.json), into outDir;
 * answers the path of the named tool's CLI so a test runs it as a child process. */
export function buildTool(outDir: string, tool: 'audit' | 'loadtest'): string {
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tools/tsconfig.json', '--outDir', outDir],
    { cwd: ROOT, stdio: 'pipe' },
  );
  return path.join(outDir, 'tools', tool, 'cli.js');
}

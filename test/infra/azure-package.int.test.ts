/**
 * The deployment package exactly as `azd package` / `azd deploy` builds it for the `api` service:
 * compile, stage (scripts/stage-azure-package.mjs, the prepackage hook in azure.yaml), zip with
 * .funcignore under gitignore rules (test/support/azd-zip.ts follows azd's createDeployableZip), unpack
 * into an empty folder, and load package.json `main` in a fresh Node process that sees nothing but the
 * package. It must register every HTTP route and the session trigger with their options, load nothing
 * of the one-machine host, and ship no dev dependency, test, source or doc file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ignore from 'ignore';
import { bindRoutes } from '../../src/http/routes';
import { azdPackageFiles, azdZip, unpack } from '../support/azd-zip';
import { AZURE_ENV } from '../support/azure-env';

const ROOT = join(__dirname, '..', '..');

/**
 * Runs in the unpacked package: records what `main` registers with @azure/functions (resolved from the
 * package, so it is the instance main uses) and every module it loads, then requires each production
 * dependency to prove the closure is complete.
 */
const PROBE = `
const Module = require('node:module');
const path = require('node:path');
const pkgDir = process.cwd();
const pkg = require(path.join(pkgDir, 'package.json'));
const local = Module.createRequire(path.join(pkgDir, 'package.json'));
const loaded = [];
const load = Module._load;
Module._load = function (request, parent, isMain) {
  try { loaded.push(Module._resolveFilename(request, parent, isMain)); } catch { loaded.push(request); }
  return load.apply(this, arguments);
};
const { app } = local('@azure/functions');
const http = [], queues = [], terminate = [];
app.http = (name, o) => http.push({ name, route: o.route, methods: o.methods, authLevel: o.authLevel, handler: typeof o.handler });
app.serviceBusQueue = (name, o) => queues.push({ name, connection: o.connection, queueName: o.queueName, isSessionsEnabled: o.isSessionsEnabled, cardinality: o.cardinality, handler: typeof o.handler });
app.hook.appTerminate = (h) => { terminate.push(typeof h); return { dispose() {} }; };
loaded.length = 0;
const started = process.hrtime.bigint();
local(path.join(pkgDir, pkg.main));
const loadMs = Number(process.hrtime.bigint() - started) / 1e6;
const modules = [...new Set(loaded)];
const missing = [];
for (const dep of Object.keys(pkg.dependencies)) { try { local(dep); } catch (e) { missing.push(dep + ': ' + e.message); } }
process.stdout.write(JSON.stringify({ http, queues, terminate, modules, loadMs, missing }));
`;

interface ProbeResult {
  http: { name: string; route: string; methods: string[]; authLevel: string; handler: string }[];
  queues: Record<string, unknown>[];
  terminate: string[];
  modules: string[];
  loadMs: number;
  missing: string[];
}

let work: string;
let stage: string;
let unpacked: string;
let files: string[];
let zipBytes: number;
let unpackedBytes: number;
let probe: ProbeResult;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'azd-package-'));
  stage = join(work, 'stage');
  unpacked = join(work, 'unpacked');
  // Built into a folder of its own: other suites run the compiled host from dist/ meanwhile.
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', join(work, 'dist')],
    { cwd: ROOT, stdio: 'pipe' },
  );
  execFileSync(
    process.execPath,
    ['scripts/stage-azure-package.mjs', '--dist', join(work, 'dist'), '--out', stage],
    { cwd: ROOT, stdio: 'pipe' },
  );
  files = azdPackageFiles(stage);
  const zip = azdZip(stage, files);
  zipBytes = zip.byteLength;
  mkdirSync(unpacked);
  unpackedBytes = unpack(zip, unpacked);
  const probePath = join(work, 'probe.js');
  writeFileSync(probePath, PROBE);
  // Only what the package holds: no NODE_PATH, no parent node_modules (a temp folder), Azure settings only.
  const out = execFileSync(process.execPath, [probePath], {
    cwd: unpacked,
    env: { PATH: process.env.PATH ?? '', ...AZURE_ENV },
    encoding: 'utf8',
  });
  probe = JSON.parse(out) as ProbeResult;
  process.stdout.write(
    `azd package: ${files.length} files, zip ${(zipBytes / 2 ** 20).toFixed(1)} MiB, unpacked ${(unpackedBytes / 2 ** 20).toFixed(1)} MiB; ` +
      `entry point loads ${probe.modules.length} modules in ${probe.loadMs.toFixed(0)} ms\n`,
  );
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the package azd deploys', () => {
  it('registers every HTTP route of the route table, with its method and auth level', () => {
    const expected = bindRoutes(() => Promise.reject(new Error('unused')))
      .map((r) => ({
        name: r.name,
        route: r.route,
        methods: [r.method],
        authLevel: r.authLevel,
        handler: 'function',
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect([...probe.http].sort((a, b) => a.name.localeCompare(b.name))).toEqual(expected);
    expect(expected.length).toBeGreaterThan(10);
  });

  it('registers the session trigger on the queue setting, and the hook that closes the clients', () => {
    expect(probe.queues).toEqual([
      {
        name: 'processCommands',
        connection: 'ServiceBusConnection',
        queueName: '%SERVICEBUS_QUEUE%',
        isSessionsEnabled: true,
        cardinality: 'one',
        handler: 'function',
      },
    ]);
    expect(probe.terminate).toEqual(['function']);
  });

  it('loads nothing of the one-machine host on Azure: no SQLite, no embedded adapters, no telemetry distro', () => {
    const forbidden = probe.modules.filter((m) =>
      /[\\/]dist[\\/]src[\\/](local|adapters[\\/]embedded|loadtest|bench)[\\/]|[\\/](dist-tools|tools)[\\/]|better-sqlite3|worker_threads|monitor-opentelemetry|cli-progress/.test(
        m,
      ),
    );
    expect(forbidden).toEqual([]);
    expect(probe.modules.some((m) => m.endsWith(join('dist', 'functions', 'composition.js')))).toBe(true);
  });

  it('holds every production dependency it declares (each one loads from the package)', () => {
    expect(probe.missing).toEqual([]);
    const shipped = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(Object.keys(shipped).sort()).toEqual(
      ['dependencies', 'description', 'engines', 'license', 'main', 'name', 'private', 'version'].sort(),
    );
  });

  it('ships no dev dependency, no native binary, no tool, and no test, source, doc or settings file', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const packages = new Set(
      files.flatMap((f) => {
        const m = /^((?:.*\/)?node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(f);
        return m?.[1] ? [m[1]] : [];
      }),
    );
    expect(
      [...packages].filter((p) => lock.packages[p]?.dev === true || lock.packages[p] === undefined),
    ).toEqual([]);
    expect(packages.has('node_modules/better-sqlite3')).toBe(false);
    const outsideDeps = files.filter((f) => !f.startsWith('node_modules/'));
    expect(
      outsideDeps.filter((f) => !/^(dist\/(functions|src)\/.+\.js|host\.json|package\.json)$/.test(f)),
    ).toEqual([]);
    expect(files.filter((f) => /\.(ts|map|md|node)$|(^|\/)local\.settings/.test(f))).toEqual([]);
    // The load tool and the benchmark (tools/, built into dist-tools/) and their progress bar stay home.
    expect(
      files.filter((f) =>
        /^(tools|dist-tools)\/|^dist\/(.+\/)?(loadtest|bench)\/|^node_modules\/cli-progress\//.test(f),
      ),
    ).toEqual([]);
    // Staging copies dist/ only; .funcignore would still leave the tools out if they were ever staged.
    const funcignore = ignore().add(readFileSync(join(ROOT, '.funcignore'), 'utf8'));
    for (const file of [
      'tools/loadtest/cli.ts',
      'dist-tools/tools/loadtest/cli.js',
      'dist-tools/tools/bench/main.js',
    ])
      expect(funcignore.ignores(file)).toBe(true);
    expect(statSync(join(unpacked, 'host.json')).isFile()).toBe(true);
  });

  it('keeps node_modules, as azure.yaml remoteBuild: false requires of .funcignore', () => {
    // azd reads the project's .funcignore and refuses remoteBuild: false when it ignores node_modules
    // (service_target_functionapp.go, resolveFunctionAppRemoteBuild).
    const funcignore = readFileSync(join(ROOT, '.funcignore'), 'utf8');
    expect(ignore().add(funcignore).ignores('node_modules/')).toBe(false);
    expect(files.some((f) => f.startsWith('node_modules/@azure/functions/'))).toBe(true);
    expect(files.filter((f) => f.startsWith('node_modules/')).length).toBeGreaterThan(1000);
  });

  it('would have caught the unanchored .funcignore: `src` and `functions` at any depth drop the compiled code', () => {
    const old = ['*.ts', 'src', 'functions', 'test', 'docs'].join('\n');
    const shippedByOld = azdPackageFiles(stage, '.funcignore', old);
    expect(shippedByOld.filter((f) => f.startsWith('dist/'))).toEqual([]);
    expect(shippedByOld).not.toContain('node_modules/@azure/functions/package.json');
  });
});

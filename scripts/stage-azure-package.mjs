#!/usr/bin/env node
// Stages the Azure Functions deployment package in .azure-package/, the folder azd zips for the `api`
// service (azure.yaml: `dist: .azure-package`, run by the `prepackage` hook after `npm run build`):
//   package.json  main, engines and the production dependencies, nothing else
//   host.json, .funcignore
//   dist/         the compiled JavaScript
//   node_modules/ the production dependency closure, copied from this install as package-lock.json lays
//                 it out, without the one-machine host's native SQLite driver
// azd then applies .funcignore (gitignore rules) while zipping, and deploys with remote build off: the
// package is what runs. Why not a remote build: the platform would install dev dependencies to run tsc
// and compile better-sqlite3 for a driver Azure never loads; a local build ships exactly what the
// packaging test (test/infra/azure-package.int.test.ts) loaded.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs({
  options: { out: { type: 'string', default: '.azure-package' }, dist: { type: 'string', default: 'dist' } },
}).values;
/** --out: the staging folder (azure.yaml `dist`); --dist: the compiled output to ship (tests build elsewhere). */
const OUT = resolve(ROOT, args.out);
const DIST = resolve(ROOT, args.dist);
/** Production dependencies the Azure entry point never loads (the one-machine host's SQLite driver). */
const LOCAL_ONLY = new Set(['better-sqlite3']);

function fail(message) {
  process.stderr.write(`stage-azure-package: ${message}\n`);
  process.exit(1);
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
const entry = join(DIST, posix.relative('dist', pkg.main));
if (!existsSync(entry)) fail(`${entry} is missing: run npm run build first`);

/** Where Node would find `name` when required from the package installed at `from` (a lockfile key). */
function resolveInLock(name, from) {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

/** Every lockfile entry reachable from the production dependencies, the way Node resolves them. */
function productionClosure() {
  const seen = new Set();
  const queue = Object.keys(pkg.dependencies)
    .filter((name) => !LOCAL_ONLY.has(name))
    .map((name) => ({ name, from: '' }));
  while (queue.length > 0) {
    const { name, from } = queue.shift();
    const key = resolveInLock(name, from);
    if (key === undefined) {
      // An optional dependency for another platform is absent from the install: nothing to ship.
      continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    const entry = lock.packages[key];
    // Optional peers are the caller's choice (an instrumentation for a driver we do not use): not followed.
    const optionalPeers = Object.entries(entry.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta.optional)
      .map(([peer]) => peer);
    const peers = Object.keys(entry.peerDependencies ?? {}).filter((peer) => !optionalPeers.includes(peer));
    const wanted = [...Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }), ...peers];
    for (const dep of wanted) queue.push({ name: dep, from: key });
  }
  return [...seen].sort();
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const dependencies = Object.fromEntries(
  Object.entries(pkg.dependencies).filter(([name]) => !LOCAL_ONLY.has(name)),
);
const manifest = {
  name: pkg.name,
  version: pkg.version,
  description: pkg.description,
  private: true,
  license: pkg.license,
  engines: pkg.engines,
  main: pkg.main,
  dependencies,
};
writeFileSync(join(OUT, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
for (const file of ['host.json', '.funcignore']) cpSync(join(ROOT, file), join(OUT, file));
cpSync(DIST, join(OUT, 'dist'), { recursive: true });

let packages = 0;
for (const key of productionClosure()) {
  const source = join(ROOT, ...key.split('/'));
  if (!existsSync(source)) fail(`${key} is in package-lock.json but not installed: run npm ci`);
  // Nested node_modules are entries of their own (copied when reachable); .bin holds only CLI links.
  cpSync(source, join(OUT, ...key.split('/')), {
    recursive: true,
    dereference: true,
    filter: (path) => {
      const rel = posix.normalize(path.slice(source.length).split('\\').join('/'));
      return !/(^|\/)node_modules(\/|$)/.test(rel);
    },
  });
  packages += 1;
}
process.stdout.write(`staged ${OUT}: ${packages} production packages\n`);

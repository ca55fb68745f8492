import { zipSync, unzipSync, type Zippable } from 'fflate';
import ignore from 'ignore';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What azd puts in the zip of a `host: function` service, read from azd's source
 * (cli/azd/pkg/project/project_utils.go, createDeployableZip): every file under the package folder,
 * walked in lexical order, except `.azure` folders, the ignore file itself, `local.settings.json`, and
 * whatever the ignore file (`.funcignore`, gitignore rules, parsed with go-gitignore there and with the
 * `ignore` package here) excludes. An excluded folder is not descended into.
 */
export function azdPackageFiles(root: string, ignoreFile = '.funcignore', rules?: string): string[] {
  const path = join(root, ignoreFile);
  const text = rules ?? (existsSync(path) ? readFileSync(path, 'utf8').replace(/^\uFEFF/, '') : '');
  const matcher = ignore().add(text);
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const child = rel === '' ? name : `${rel}/${name}`;
      const isDir = statSync(join(root, child)).isDirectory();
      if (isDir && name === '.azure') continue;
      if (!isDir && (name === ignoreFile || name === 'local.settings.json')) continue;
      if (matcher.ignores(isDir ? `${child}/` : child)) continue;
      if (isDir) walk(child);
      else files.push(child);
    }
  };
  walk('');
  return files;
}

/** The zip azd would upload, deflated, with forward-slash names relative to the package folder. */
export function azdZip(root: string, files: readonly string[]): Uint8Array {
  const tree: Zippable = {};
  for (const file of files) tree[file] = [readFileSync(join(root, file)), { level: 6 }];
  return zipSync(tree);
}

/** Unpacks a zip into an empty folder, as the platform does before it starts the app. */
export function unpack(zip: Uint8Array, into: string): number {
  const entries = unzipSync(zip);
  let bytes = 0;
  for (const [name, data] of Object.entries(entries)) {
    const target = join(into, ...name.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
    bytes += data.byteLength;
  }
  return bytes;
}

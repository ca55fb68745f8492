/**
 * Small, honest text helpers for reading Bicep without a compiler.
 *
 * They understand just enough of the language to be trusted for what the infra tests ask:
 * single-quoted strings (with `\'` escapes and `${...}` interpolation), `//` and `/* *\/`
 * comments, balanced `{}`/`[]`/`()` blocks, and the top-level statements `param`, `var`,
 * `output`, `module` and `resource`. Multi-line `'''` strings are not supported, and the
 * helpers throw rather than guess when they meet one.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const INFRA_DIR = join(REPO_ROOT, 'infra');

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Every file under `dir` whose name ends with `suffix`, recursively. */
export function listFiles(dir: string, suffix: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) found.push(...listFiles(full, suffix));
    else if (entry.endsWith(suffix)) found.push(full);
  }
  return found.sort();
}

/** Index just past the string literal whose opening quote is at `start`. */
function skipString(text: string, start: number): number {
  if (text.startsWith("'''", start))
    throw new Error(`multi-line strings are not supported (offset ${start})`);
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\') {
      i += 2;
    } else if (ch === "'") {
      return i + 1;
    } else if (ch === '$' && text[i + 1] === '{') {
      i = matchBracket(text, i + 1) + 1;
    } else {
      i += 1;
    }
  }
  throw new Error(`unterminated string starting at offset ${start}`);
}

const CLOSER: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** Index of the bracket that closes the one at `open` (`{`, `[` or `(`), skipping strings and comments. */
export function matchBracket(text: string, open: number): number {
  const opener = text[open];
  if (opener === undefined || !(opener in CLOSER)) throw new Error(`no bracket at offset ${open}`);
  const stack: string[] = [];
  let i = open;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (ch === "'") {
      i = skipString(text, i);
      continue;
    }
    if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
      continue;
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new Error(`unterminated comment at offset ${i}`);
      i = end + 2;
      continue;
    }
    const closer = CLOSER[ch];
    if (closer !== undefined) {
      stack.push(closer);
    } else if (ch === '}' || ch === ']' || ch === ')') {
      if (stack.pop() !== ch) throw new Error(`unbalanced '${ch}' at offset ${i}`);
      if (stack.length === 0) return i;
    }
    i += 1;
  }
  throw new Error(`no closing bracket for offset ${open}`);
}

/** The text with `//` and `/* *\/` comments removed (string literals are left untouched). */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === "'") {
      const end = skipString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new Error(`unterminated comment at offset ${i}`);
      i = end + 2;
    } else {
      out += text[i];
      i += 1;
    }
  }
  return out;
}

/** The content between the bracket at `open` and its closer (exclusive). */
function bracketContent(text: string, open: number): string {
  return text.slice(open + 1, matchBracket(text, open));
}

export interface BicepParam {
  name: string;
  type: string;
  /** Raw default expression, if any. */
  defaultValue: string | undefined;
}

export function params(text: string): BicepParam[] {
  const src = stripComments(text);
  return [...src.matchAll(/^param\s+(\w+)\s+(\w+)(?:\s*=\s*(.+?))?\s*$/gm)].map((m) => ({
    name: m[1] ?? '',
    type: m[2] ?? '',
    defaultValue: m[3],
  }));
}

/** `var` declarations whose value fits on one line (name -> raw expression). */
export function vars(text: string): Map<string, string> {
  const src = stripComments(text);
  return new Map([...src.matchAll(/^var\s+(\w+)\s*=\s*(.+?)\s*$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

export interface BicepOutput {
  name: string;
  type: string;
  /** Raw value expression (first line). */
  value: string;
}

export function outputs(text: string): BicepOutput[] {
  const src = stripComments(text);
  return [...src.matchAll(/^output\s+(\w+)\s+(\w+)\s*=\s*(.+?)\s*$/gm)].map((m) => ({
    name: m[1] ?? '',
    type: m[2] ?? '',
    value: m[3] ?? '',
  }));
}

export interface BicepModule {
  symbol: string;
  path: string;
  condition: string | undefined;
  body: string;
}

export function modules(text: string): BicepModule[] {
  const src = stripComments(text);
  const re = /^\s*module\s+(\w+)\s+'([^']+)'\s*=\s*(?:if\s*\((.*)\)\s*)?\{/gm;
  return [...src.matchAll(re)].map((m) => {
    const open = (m.index ?? 0) + m[0].length - 1;
    return { symbol: m[1] ?? '', path: m[2] ?? '', condition: m[3], body: bracketContent(src, open) };
  });
}

export interface BicepResource {
  symbol: string;
  type: string;
  apiVersion: string;
  existing: boolean;
  /** The `if (...)` condition, if the resource is conditional. */
  condition: string | undefined;
  body: string;
}

export function resources(text: string): BicepResource[] {
  const src = stripComments(text);
  const re = /^\s*resource\s+(\w+)\s+'([^'@]+)@([^']+)'\s+(existing\s+)?=\s*(?:if\s*\((.*)\)\s*)?\{/gm;
  return [...src.matchAll(re)].map((m) => {
    const open = (m.index ?? 0) + m[0].length - 1;
    return {
      symbol: m[1] ?? '',
      type: m[2] ?? '',
      apiVersion: m[3] ?? '',
      existing: m[4] !== undefined,
      condition: m[5],
      body: bracketContent(src, open),
    };
  });
}

/**
 * Raw values of every `key: value` line inside `body` (at any depth), in order. Keys may be
 * quoted (`'odata.type': ...`). A value that opens a block is returned as just its opener.
 */
export function propertyValues(body: string, key: string): string[] {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\s*(?:'${escaped}'|${escaped})\\s*:\\s*(.+?)\\s*$`, 'gm');
  return [...body.matchAll(re)].map((m) => m[1] ?? '');
}

/** The single value of `key` in `body`; throws when it is missing or appears more than once. */
export function propertyValue(body: string, key: string): string {
  const values = propertyValues(body, key);
  if (values.length !== 1) throw new Error(`expected exactly one '${key}', found ${values.length}`);
  return values[0] ?? '';
}

/** Content of the block (`{...}` or `[...]`) that is the value of the first `key:` in `body`. */
export function block(body: string, key: string): string {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`(?:^|\\s)(?:'${escaped}'|${escaped})\\s*:\\s*([{[])`, 'm').exec(body);
  if (!m) throw new Error(`no block '${key}'`);
  return bracketContent(body, m.index + m[0].length - 1);
}

/** Keys declared directly at the top level of a block's content (not inside nested blocks). */
export function topLevelKeys(content: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let lineStart = true;
  let i = 0;
  while (i < content.length) {
    const ch = content[i] ?? '';
    if (lineStart && depth === 0) {
      const m = /^[ \t]*(?:'([^']+)'|([\w$-]+))\s*:/.exec(content.slice(i));
      if (m) keys.push(m[1] ?? m[2] ?? '');
    }
    lineStart = false;
    if (ch === "'") {
      i = skipString(content, i);
      continue;
    }
    if (ch === '{' || ch === '[' || ch === '(') depth += 1;
    else if (ch === '}' || ch === ']' || ch === ')') depth -= 1;
    else if (ch === '\n') lineStart = true;
    i += 1;
  }
  return keys;
}

/** The text of a single-quoted literal without interpolation (`'abc'` -> `abc`), else undefined. */
export function stringLiteral(expr: string): string | undefined {
  const m = /^'((?:[^'\\$]|\\.|\$(?!\{))*)'$/.exec(expr.trim());
  return m ? (m[1] ?? '').replace(/\\(.)/g, '$1') : undefined;
}

/** Follows a bare identifier through `var` declarations to a string literal, if it leads to one. */
export function resolveString(expr: string, declared: Map<string, string>): string | undefined {
  let current = expr.trim();
  for (let hops = 0; hops < 10; hops += 1) {
    const literal = stringLiteral(current);
    if (literal !== undefined) return literal;
    const next = /^\w+$/.test(current) ? declared.get(current) : undefined;
    if (next === undefined) return undefined;
    current = next.trim();
  }
  return undefined;
}

export interface RoleAssignment {
  file: string;
  symbol: string;
  kind: 'azure-rbac' | 'cosmos-sql';
  /** The role definition GUID, resolved through `var`s. */
  roleId: string | undefined;
  /** Raw `principalId` expression, e.g. `appPrincipalId`. */
  principal: string;
  principalType: string | undefined;
  /** Raw `name` expression. */
  name: string;
  /** Raw `scope` expression (Azure RBAC: a resource symbol; Cosmos: an id expression). */
  scope: string | undefined;
  condition: string | undefined;
  /** The raw roleDefinitionId expression, for messages. */
  roleDefinitionExpr: string;
}

/** Every Azure RBAC role assignment and Cosmos DB SQL role assignment declared in `text`. */
export function roleAssignments(file: string, text: string): RoleAssignment[] {
  const declared = vars(text);
  const found: RoleAssignment[] = [];
  for (const r of resources(text)) {
    let kind: RoleAssignment['kind'];
    if (r.type === 'Microsoft.Authorization/roleAssignments') kind = 'azure-rbac';
    else if (r.type === 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments') kind = 'cosmos-sql';
    else continue;
    const props = block(r.body, 'properties');
    const roleDefinitionExpr = propertyValue(props, 'roleDefinitionId');
    const roleExpr =
      kind === 'azure-rbac'
        ? /^subscriptionResourceId\(\s*'Microsoft\.Authorization\/roleDefinitions'\s*,\s*(.+)\)$/.exec(
            roleDefinitionExpr,
          )?.[1]
        : /\/sqlRoleDefinitions\/\$\{(\w+)\}'$/.exec(roleDefinitionExpr)?.[1];
    const principalTypes = propertyValues(props, 'principalType');
    const scopes = kind === 'azure-rbac' ? propertyValues(r.body, 'scope') : propertyValues(props, 'scope');
    found.push({
      file,
      symbol: r.symbol,
      kind,
      roleId: roleExpr === undefined ? undefined : resolveString(roleExpr, declared),
      principal: propertyValue(props, 'principalId'),
      principalType: principalTypes[0],
      name: propertyValue(r.body, 'name'),
      scope: scopes[0],
      condition: r.condition,
      roleDefinitionExpr,
    });
  }
  return found;
}

/** Minimal reader for azure.yaml's `services:` map: service name -> its scalar properties. */
export function azureYamlServices(text: string): Map<string, Map<string, string>> {
  const services = new Map<string, Map<string, string>>();
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^services:\s*$/.test(l));
  if (start === -1) return services;
  let current: Map<string, string> | undefined;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break; // next top-level key
    const service = /^ {2}([\w-]+):\s*$/.exec(line);
    if (service) {
      current = new Map();
      services.set(service[1] ?? '', current);
      continue;
    }
    const prop = /^ {4}([\w-]+):\s*(.+?)\s*$/.exec(line);
    if (prop && current) current.set(prop[1] ?? '', (prop[2] ?? '').replace(/^['"]|['"]$/g, ''));
  }
  return services;
}

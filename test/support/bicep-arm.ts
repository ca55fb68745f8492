/**
 * Reading what the real Bicep compiler produced: the ARM template of `bicep build`, its resources through
 * nested module deployments, and a small evaluator for the ARM expressions our templates use, so a test can
 * see a property's value (a workbook's serializedData after its placeholders are replaced) instead of
 * matching expression text. Parameters evaluate to `{name}` and resource ids to `resourceId(type,name)`:
 * symbolic values a test compares with what the parent deployment passes.
 */
import { z } from 'zod';

import { runBicep, type BicepCli } from './bicep-cli';

export type ArmValue = string | number | boolean | null | ArmValue[] | { [key: string]: ArmValue };

const armValue: z.ZodType<ArmValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(armValue), z.record(z.string(), armValue)]),
);

const resourceSchema = z.looseObject({
  type: z.string(),
  name: z.string(),
  properties: z.record(z.string(), armValue).optional(),
});

const templateSchema = z.looseObject({
  $schema: z.string(),
  variables: z.record(z.string(), armValue).optional(),
  // Symbolic-name templates (languageVersion 2.0) keep resources in an object.
  resources: z.union([z.array(resourceSchema), z.record(z.string(), resourceSchema)]),
});

const deploymentProperties = z.looseObject({
  template: armValue,
  parameters: z.record(z.string(), z.looseObject({ value: armValue })).optional(),
});

export type ArmTemplate = z.infer<typeof templateSchema>;
export type ArmResource = z.infer<typeof resourceSchema>;

export interface FoundResource {
  resource: ArmResource;
  /** The template that declares it (its variables are the ones its expressions read). */
  template: ArmTemplate;
  /** The parameters the enclosing module deployment passes, as expressions of the parent template. */
  parameters: Record<string, ArmValue>;
  /** Names of the enclosing module deployments, outermost first. */
  path: string[];
}

/** `bicep build FILE --stdout`, parsed; throws with the compiler's messages when it fails. */
export function buildTemplate(cli: BicepCli, file: string): ArmTemplate {
  const run = runBicep(cli, ['build', file, '--stdout']);
  if (run.status !== 0) throw new Error(`bicep build ${file} failed (${run.status}):\n${run.stderr}`);
  return templateSchema.parse(JSON.parse(run.stdout));
}

/** Every resource of the template and of the modules it deploys, depth first. */
export function allResources(
  template: ArmTemplate,
  parameters: Record<string, ArmValue> = {},
  path: string[] = [],
): FoundResource[] {
  const list = Array.isArray(template.resources) ? template.resources : Object.values(template.resources);
  const found: FoundResource[] = [];
  for (const resource of list) {
    found.push({ resource, template, parameters, path });
    if (resource.type !== 'Microsoft.Resources/deployments') continue;
    const props = deploymentProperties.parse(resource.properties);
    const passed = Object.fromEntries(Object.entries(props.parameters ?? {}).map(([k, v]) => [k, v.value]));
    found.push(...allResources(templateSchema.parse(props.template), passed, [...path, resource.name]));
  }
  return found;
}

/** The value of a template property: literals as they are, `[...]` expressions evaluated in `template`. */
export function evaluate(value: ArmValue, template: ArmTemplate): ArmValue {
  if (typeof value === 'string') {
    if (value.startsWith('[[')) return value.slice(1);
    if (!value.startsWith('[') || !value.endsWith(']')) return value;
    const parser = new ExpressionParser(value.slice(1, -1), template);
    const result = parser.expression();
    parser.end();
    return result;
  }
  if (Array.isArray(value)) return value.map((v) => evaluate(v, template));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v, template)]));
  return value;
}

function text(value: ArmValue, fn: string): string {
  if (typeof value !== 'string') throw new Error(`${fn}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

/** The functions our templates use; any other fails loudly rather than being guessed. */
function call(fn: string, args: ArmValue[], template: ArmTemplate): ArmValue {
  switch (fn) {
    case 'variables': {
      const name = text(args[0] ?? null, fn);
      const declared = template.variables?.[name];
      if (declared === undefined) throw new Error(`variables('${name}') is not declared`);
      return evaluate(declared, template);
    }
    case 'parameters':
      return `{${text(args[0] ?? null, fn)}}`;
    case 'resourceId':
      return `resourceId(${args.map((a) => text(a, fn)).join(',')})`;
    case 'replace':
      return text(args[0] ?? null, fn)
        .split(text(args[1] ?? null, fn))
        .join(text(args[2] ?? null, fn));
    case 'format':
      return text(args[0] ?? null, fn).replace(/\{(\d+)\}/g, (_, i: string) => {
        const arg = args[Number(i) + 1] ?? null;
        return typeof arg === 'string' || typeof arg === 'number' ? String(arg) : JSON.stringify(arg);
      });
    case 'guid':
      return `guid(${args.map((a) => text(a, fn)).join(',')})`;
    default:
      throw new Error(`ARM function ${fn}() is not supported by this evaluator`);
  }
}

class ExpressionParser {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly template: ArmTemplate,
  ) {}

  expression(): ArmValue {
    this.skipSpace();
    const ch = this.src[this.pos] ?? '';
    let value: ArmValue;
    if (ch === "'") value = this.stringLiteral();
    else if (/[-\d]/.test(ch)) value = this.number();
    else value = this.functionCall();
    return this.accessors(value);
  }

  end(): void {
    this.skipSpace();
    if (this.pos !== this.src.length)
      throw new Error(`unexpected '${this.src.slice(this.pos)}' in ARM expression`);
  }

  private functionCall(): ArmValue {
    const name = /^[A-Za-z][\w.]*/.exec(this.src.slice(this.pos))?.[0];
    if (!name) throw new Error(`expected a function at '${this.src.slice(this.pos)}'`);
    this.pos += name.length;
    this.expect('(');
    const args: ArmValue[] = [];
    this.skipSpace();
    if (this.src[this.pos] === ')') this.pos += 1;
    else {
      for (;;) {
        args.push(this.expression());
        this.skipSpace();
        const next = this.src[this.pos];
        this.pos += 1;
        if (next === ')') break;
        if (next !== ',') throw new Error(`expected ',' or ')' in ${name}()`);
      }
    }
    return call(name, args, this.template);
  }

  private accessors(value: ArmValue): ArmValue {
    let current = value;
    while (this.src[this.pos] === '.') {
      this.pos += 1;
      const key = /^\w+/.exec(this.src.slice(this.pos))?.[0] ?? '';
      this.pos += key.length;
      if (current === null || typeof current !== 'object' || Array.isArray(current) || !(key in current))
        throw new Error(`no property '${key}' on ${JSON.stringify(current)}`);
      current = current[key] ?? null;
    }
    return current;
  }

  private stringLiteral(): string {
    let out = '';
    this.pos += 1;
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos] ?? '';
      this.pos += 1;
      if (ch !== "'") out += ch;
      else if (this.src[this.pos] === "'") {
        out += "'";
        this.pos += 1;
      } else return out;
    }
    throw new Error('unterminated string in ARM expression');
  }

  private number(): number {
    const digits = /^-?\d+/.exec(this.src.slice(this.pos))?.[0] ?? '';
    this.pos += digits.length;
    return Number(digits);
  }

  private expect(ch: string): void {
    this.skipSpace();
    if (this.src[this.pos] !== ch) throw new Error(`expected '${ch}' at '${this.src.slice(this.pos)}'`);
    this.pos += 1;
  }

  private skipSpace(): void {
    while (this.src[this.pos] === ' ') this.pos += 1;
  }
}

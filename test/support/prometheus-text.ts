import { ApiClient, sleep, type ApiResponse, type RequestOptions } from './http-client';

/** One sample line of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample line (comments and TYPE lines skipped). */
export function samples(text: string): Sample[] {
  const found: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (key !== undefined) labels[key] = (raw ?? '').replace(/\\(["\\])/g, '$1');
    }
    found.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return found;
}

/** The sum of a metric's samples whose labels include `where` (0 when there is none). */
export function total(text: string, name: string, where: Record<string, string> = {}): number {
  return samples(text)
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** `# TYPE <name> <type>` lines, by family name. */
export function types(text: string): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (name === undefined || type === undefined) continue;
    byName.set(name, [...(byName.get(name) ?? []), type]);
  }
  return byName;
}

/** The API client with the host's API key on every request. */
export class KeyedApiClient extends ApiClient {
  constructor(
    baseUrl: string,
    private readonly key: string,
  ) {
    super(baseUrl);
  }

  override request<T = unknown>(method: string, path: string, options: RequestOptions = {}) {
    return super.request<T>(method, path, {
      ...options,
      headers: { 'x-api-key': this.key, ...options.headers },
    });
  }

  /** GET /api/metrics until `done` holds for its text (bounded), answering the last text. */
  async metricsWhen(done: (text: string) => boolean, deadlineMs = 15_000): Promise<string> {
    const deadline = Date.now() + deadlineMs;
    let last: ApiResponse | undefined;
    while (Date.now() < deadline) {
      last = await this.get('/metrics');
      if (last.status !== 200) throw new Error(`GET /metrics: ${last.status} ${last.text}`);
      if (done(last.text)) return last.text;
      await sleep(100);
    }
    throw new Error(`GET /metrics: condition not met within ${deadlineMs} ms:\n${last?.text ?? ''}`);
  }
}

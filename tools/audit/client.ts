/** GETs JSON from the API with the function key, a timeout, and a few retries of a 503 after its Retry-After. */

export interface Answer<T> {
  status: number;
  body: T | undefined;
  text: string;
}

export interface GetOptions {
  key: string | undefined;
  timeoutMs?: number;
  /** Further tries of a 503 (the store is out, or the item is too busy to audit right now). */
  retries?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function getJson<T>(url: string, options: GetOptions): Promise<Answer<T>> {
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, {
      headers: { accept: 'application/json', ...(options.key ? { 'x-functions-key': options.key } : {}) },
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
    const text = await response.text();
    if (response.status === 503 && attempt < retries) {
      const seconds = Number(response.headers.get('retry-after') ?? '1');
      await sleep(Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds : 1, 10) * 1000);
      continue;
    }
    let body: T | undefined;
    try {
      body = JSON.parse(text) as T;
    } catch {
      body = undefined;
    }
    return { status: response.status, body, text };
  }
}

/** A transport failure (no HTTP answer) as one line: fetch's own message hides the cause. */
export function networkMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

/** What a problem document says, or the start of a body that is not one. */
export function describeFailure(answer: Answer<unknown>): string {
  const detail = (answer.body as { detail?: unknown } | undefined)?.detail;
  return `HTTP ${answer.status}: ${typeof detail === 'string' ? detail : answer.text.slice(0, 200)}`;
}

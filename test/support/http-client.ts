/**
 * A tiny client for the end-to-end tests: Node's global fetch (keep-alive), JSON in and out, plus
 * bounded helpers to poll a status resource and to page through an item's ledger.
 */
import { mapLimit, sleep } from '../../tools/loadtest/client';
import type { LedgerEventView as ToolLedgerEventView } from '../../tools/loadtest/invariants';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  body: T;
  text: string;
}

export interface RequestOptions {
  /** A value to send as JSON; a string or Uint8Array is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Abort the request after this many milliseconds (default 15 s). */
  timeoutMs?: number;
}

/** A ledger event as the API answers it: what the load tool reads, and the note. */
export interface LedgerEventView extends ToolLedgerEventView {
  note: string | null;
}

export interface ItemView {
  inventoryId: string;
  name: string;
  available: number;
  reserved: number;
  confirmed: number;
  seq: number;
}

export interface AcceptedView {
  status: 'pending';
  inventoryId: string;
  commandId: string;
  reservationId: string | null;
  expiresAt: string | null;
  acceptedAt: string;
  statusUrl: string;
}

export interface StatusView {
  status: string;
  reason?: string | null;
  [key: string]: unknown;
}

export interface ProblemView {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: { field: string; message: string }[];
}

/** Rewrites the host's advertised `http://localhost:PORT/api` to 127.0.0.1, the only address the tests use. */
export function loopback(url: string): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  return parsed.toString().replace(/\/$/, '');
}

export class ApiClient {
  /** @param baseUrl the API root, e.g. `http://127.0.0.1:1234/api` */
  constructor(readonly baseUrl: string) {}

  /** `path` is relative to the API root (`/inventory/x`) or an absolute URL (a Location or statusUrl). */
  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const url = /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let body: string | Uint8Array | undefined;
    if (typeof options.body === 'string' || options.body instanceof Uint8Array) body = options.body;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = unknown>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }

  post<T = unknown>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { body, ...(headers ? { headers } : {}) });
  }

  put<T = unknown>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PUT', path, { body, ...(headers ? { headers } : {}) });
  }

  /** Creates an item (201) and returns its view and ETag; throws on anything else. */
  async createItem(
    inventoryId: string,
    available: number,
    name?: string,
  ): Promise<{ item: ItemView; etag: string }> {
    const res = await this.put<ItemView>(`/inventory/${inventoryId}`, {
      available,
      ...(name ? { name } : {}),
    });
    if (res.status !== 201) throw new Error(`PUT /inventory/${inventoryId}: ${res.status} ${res.text}`);
    return { item: res.body, etag: res.headers.get('etag') ?? '' };
  }

  async getItem(inventoryId: string): Promise<{ item: ItemView; etag: string }> {
    const res = await this.get<ItemView>(`/inventory/${inventoryId}`);
    if (res.status !== 200) throw new Error(`GET /inventory/${inventoryId}: ${res.status} ${res.text}`);
    return { item: res.body, etag: res.headers.get('etag') ?? '' };
  }

  /** POST /reservations; returns the raw response so callers can check 202 and its headers. */
  reserve(
    body: { inventoryId: string; quantity: number; userId: string; holdSeconds?: number },
    idempotencyKey?: string,
  ): Promise<ApiResponse<AcceptedView>> {
    return this.post<AcceptedView>(
      '/reservations',
      body,
      idempotencyKey ? { 'idempotency-key': idempotencyKey } : undefined,
    );
  }

  /**
   * Polls a status URL (reservation or command) until it is no longer `pending`, within a deadline.
   * Throws with the last answer when the deadline passes, so a stuck command fails the test visibly.
   */
  async pollUntilDecided(
    url: string,
    options: { deadlineMs?: number; intervalMs?: number } = {},
  ): Promise<StatusView> {
    const deadline = Date.now() + (options.deadlineMs ?? 10_000);
    const interval = options.intervalMs ?? 25;
    let last: ApiResponse<StatusView> | undefined;
    while (Date.now() < deadline) {
      last = await this.get<StatusView>(url);
      if (last.status !== 200) throw new Error(`GET ${url}: ${last.status} ${last.text}`);
      if (last.body.status !== 'pending') return last.body;
      await sleep(interval);
    }
    throw new Error(
      `GET ${url} still pending after ${options.deadlineMs ?? 10_000} ms: ${last?.text ?? '(no answer)'}`,
    );
  }

  /** Polls until `predicate` holds for the status, within a deadline (e.g. a hold turning `expired`). */
  async pollUntil(
    url: string,
    predicate: (status: StatusView) => boolean,
    options: { deadlineMs?: number; intervalMs?: number } = {},
  ): Promise<StatusView> {
    const deadline = Date.now() + (options.deadlineMs ?? 10_000);
    let last: StatusView | undefined;
    while (Date.now() < deadline) {
      const res = await this.get<StatusView>(url);
      if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.text}`);
      last = res.body;
      if (predicate(last)) return last;
      await sleep(options.intervalMs ?? 50);
    }
    throw new Error(
      `GET ${url}: condition not met within ${options.deadlineMs ?? 10_000} ms: ${JSON.stringify(last)}`,
    );
  }

  /** Every ledger event of an item, following continuation tokens (bounded in pages). */
  async ledger(inventoryId: string, pageSize = 500, maxPages = 200): Promise<LedgerEventView[]> {
    return this.pageAll<LedgerEventView>(
      `/inventory/${inventoryId}/ledger`,
      { limit: String(pageSize) },
      maxPages,
    );
  }

  /** Every reservation of an item, optionally of one status, following continuation tokens. */
  async reservations(
    inventoryId: string,
    status?: string,
    pageSize = 500,
    maxPages = 200,
  ): Promise<StatusView[]> {
    const query: Record<string, string> = { limit: String(pageSize), ...(status ? { status } : {}) };
    return this.pageAll<StatusView>(`/inventory/${inventoryId}/reservations`, query, maxPages);
  }

  private async pageAll<T>(path: string, query: Record<string, string>, maxPages: number): Promise<T[]> {
    const items: T[] = [];
    let continuation: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const search = new URLSearchParams(query);
      if (continuation) search.set('continuation', continuation);
      const res = await this.get<{ items: T[]; continuation: string | null; next: string | null }>(
        `${path}?${search.toString()}`,
      );
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
      items.push(...res.body.items);
      continuation = res.body.continuation;
      if (!continuation) return items;
    }
    throw new Error(`GET ${path}: more than ${maxPages} pages`);
  }
}

// The load tool's helpers, shared rather than copied.
export { mapLimit, sleep };

import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import type { Services } from '../app/services';

/**
 * What the handlers read of a request: the Functions host's HttpRequest has all of it, and the local
 * server builds a lighter object with the same members instead of a full fetch Request per call.
 */
export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  readonly query: { entries(): IterableIterator<[string, string]> };
  readonly params: Record<string, string>;
  text(): Promise<string>;
}

export type Method = 'GET' | 'PUT' | 'POST';
/** As Azure Functions: `admin` needs the host's master key there; the one-machine host asks for its API key. */
export type AuthLevel = 'anonymous' | 'function' | 'admin';

export interface RouteDoc {
  summary: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  headers?: { name: string; description: string; required?: boolean }[];
  /** Answers from the code alone, so no store or queue outage reaches it (no 503). */
  noBackend?: true;
  responses: Record<number, { description: string; schema?: z.ZodType; headers?: string[] }>;
}

/** One row of the route table that both hosts serve: Azure Functions (`app.http`) and the local server. */
export interface RouteDef {
  name: string;
  /** Azure Functions route template, relative to the `/api` prefix. */
  route: string;
  method: Method;
  authLevel: AuthLevel;
  doc: RouteDoc;
  handle(request: ApiRequest, context: InvocationContext, services: Services): Promise<HttpResponseInit>;
}

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import type { Services } from '../app/services';

export type Method = 'GET' | 'PUT' | 'POST';
export type AuthLevel = 'anonymous' | 'function';

export interface RouteDoc {
  summary: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  headers?: { name: string; description: string; required?: boolean }[];
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
  handle(request: HttpRequest, context: InvocationContext, services: Services): Promise<HttpResponseInit>;
}

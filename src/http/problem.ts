import type { HttpResponseInit } from '@azure/functions';

export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem the handlers throw; the route wrapper turns it into application/problem+json. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }
}

export function problemResponse(
  status: number,
  slug: string,
  title: string,
  detail: string,
  instance?: string,
  errors: FieldError[] = [],
  headers: Record<string, string> = {},
): HttpResponseInit {
  return {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify({
      type: `urn:inventory-reservations:problem:${slug}`,
      title,
      status,
      detail,
      ...(instance ? { instance } : {}),
      ...(errors.length > 0 ? { errors } : {}),
    }),
  };
}

export const invalid = (errors: FieldError[]): ProblemError =>
  new ProblemError(
    400,
    'validation-error',
    'Invalid request',
    errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    errors,
  );

import type { ApiRequest } from '../http/route-types';

/** The request the local server hands to the route handlers: the members they read, nothing more. */
export class LocalRequest implements ApiRequest {
  readonly headers: { get(name: string): string | null };
  private parsedQuery: URLSearchParams | undefined;

  constructor(
    readonly method: string,
    readonly url: string,
    private readonly search: string,
    rawHeaders: Record<string, string | string[] | undefined>,
    readonly params: Record<string, string>,
    private readonly body: Buffer,
  ) {
    this.headers = {
      get: (name: string) => {
        const value = rawHeaders[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
    };
  }

  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.search));
  }

  text(): Promise<string> {
    return Promise.resolve(this.body.toString('utf8'));
  }
}

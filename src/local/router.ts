import type { BoundRoute } from '../http/routes';

export interface Match {
  route: BoundRoute;
  params: Record<string, string>;
}

export type Resolution =
  { kind: 'match'; match: Match } | { kind: 'method-not-allowed'; allow: string[] } | { kind: 'not-found' };

interface Compiled {
  route: BoundRoute;
  pattern: RegExp;
  names: string[];
}

/** Matches request paths against the Azure Functions route templates (prefix /api), as the host does. */
export class Router {
  private readonly compiled: Compiled[];

  constructor(routes: readonly BoundRoute[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const source = route.route
        .split('/')
        .map((segment) =>
          segment.replace(
            /\{(\w+)\}|([^{}]+)/g,
            (_all, name: string | undefined, literal: string | undefined) => {
              if (name) {
                names.push(name);
                return '([^/]+)';
              }
              return (literal ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            },
          ),
        )
        .join('/');
      return { route, names, pattern: new RegExp(`^/api/${source}/?$`, 'i') };
    });
  }

  resolve(method: string, pathname: string): Resolution {
    const allow: string[] = [];
    for (const { route, pattern, names } of this.compiled) {
      const found = pattern.exec(pathname);
      if (!found) continue;
      if (route.method !== method.toUpperCase()) {
        allow.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        const raw = found[i + 1] ?? '';
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          // Malformed percent-encoding: pass it on raw, so the handler's id check answers 400 naming the parameter.
          params[name] = raw;
        }
      });
      return { kind: 'match', match: { route, params } };
    }
    return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
  }
}

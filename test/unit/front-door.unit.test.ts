import type http from 'node:http';
import { baseUrl } from '../../src/http/request';
import type { ApiRequest } from '../../src/http/route-types';
import {
  boundOrigin,
  connectionOrigin,
  crossSiteWrite,
  requestOrigin,
  unsafePath,
} from '../../src/local/front-door';

const incoming = (headers: Record<string, string>) => ({ headers }) as unknown as http.IncomingMessage;

describe('paths the local server routes', () => {
  it.each([
    '/api/inventory/sku-1/reservations/../../sku-2/adjustments',
    '/api/inventory/sku-1/reservations/.%2E/%2e./sku-2/adjustments',
    '/api/./health',
    '/api/inventory/sku-1%2F..%2Fsku-2',
    '/api/inventory/sku-1%5c..%5csku-2',
    '/api/inventory/sku-1/reservations\\..\\..\\sku-2/adjustments',
    '/api/inventory/"sku"',
    'http://elsewhere/api/health',
    '*',
  ])('refuses %s before routing', (path) => {
    expect(unsafePath(path)).toEqual(expect.any(String));
  });

  it.each([
    '/api/health',
    '/api/inventory/sku-1.v2/reservations/r-01ABC',
    "/api/inventory/a~b!$&'()*+,;=:@x",
    '/api/inventory/%41bc',
    '/api/inventory/...',
  ])('routes %s as written', (path) => {
    expect(unsafePath(path)).toBeNull();
  });
});

describe('the origin links are built from', () => {
  it('is the bound address, or for a wildcard bind the local address each connection arrived on', () => {
    expect(boundOrigin('127.0.0.1', 7071)).toBe('http://127.0.0.1:7071');
    expect(boundOrigin('::1', 7071)).toBe('http://[::1]:7071');
    expect(boundOrigin('0.0.0.0', 7071)).toBeNull();
    expect(boundOrigin('::', 7071)).toBeNull();
    expect(connectionOrigin({ localAddress: '::ffff:10.0.0.5', localPort: 7071 })).toBe(
      'http://10.0.0.5:7071',
    );
    expect(connectionOrigin({ localAddress: 'fe80::1', localPort: 80 })).toBe('http://[fe80::1]:80');
  });

  it('ignores forwarded headers unless a proxy is trusted, and then only well-formed ones', () => {
    const own = 'http://127.0.0.1:7071';
    const forwarded = incoming({ 'x-forwarded-host': 'shop.example.com', 'x-forwarded-proto': 'https' });
    expect(requestOrigin(own, forwarded, false)).toBe(own);
    expect(requestOrigin(own, forwarded, true)).toBe('https://shop.example.com');
    for (const [host, proto] of [
      ['javascript://x', 'javascript'],
      ['a b', 'ftp'],
      ['x:99999', 'http'],
      ['[', 'https'],
    ] as const) {
      const bad = incoming({ 'x-forwarded-host': host, 'x-forwarded-proto': proto });
      expect(requestOrigin(own, bad, true)).toBe(proto === 'https' ? 'https://127.0.0.1:7071' : own);
    }
  });

  it('on Azure is the platform URL the Functions host hands over, with well-formed forwarded headers only', () => {
    const request = (url: string, headers: Record<string, string> = {}): ApiRequest => ({
      method: 'POST',
      url,
      headers: { get: (name: string) => headers[name.toLowerCase()] ?? null },
      query: new URLSearchParams(),
      params: {},
      text: () => Promise.resolve(''),
    });
    expect(baseUrl(request('https://app.azurewebsites.net/api/reservations'))).toBe(
      'https://app.azurewebsites.net',
    );
    expect(
      baseUrl(
        request('http://app.azurewebsites.net/api/reservations', {
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'inventory.example.com',
        }),
      ),
    ).toBe('https://inventory.example.com');
    expect(
      baseUrl(
        request('https://app.azurewebsites.net/api/reservations', {
          'x-forwarded-proto': 'javascript',
          'x-forwarded-host': 'x:99999',
        }),
      ),
    ).toBe('https://app.azurewebsites.net');
  });
});

describe('state changes from a browser on another site', () => {
  const own = ['http://127.0.0.1:7071'];

  it('are refused, by Sec-Fetch-Site or else by Origin', () => {
    expect(crossSiteWrite('POST', incoming({ 'sec-fetch-site': 'cross-site' }), own)).toMatch(/cross-site/);
    expect(crossSiteWrite('POST', incoming({ 'sec-fetch-site': 'same-site' }), own)).toMatch(/same-site/);
    expect(crossSiteWrite('PUT', incoming({ origin: 'https://evil.example' }), own)).toMatch(/evil/);
    expect(crossSiteWrite('POST', incoming({ origin: 'null' }), own)).toMatch(/opaque/);
  });

  it('are allowed from the same origin, from no browser at all, and reads always are', () => {
    expect(crossSiteWrite('POST', incoming({ 'sec-fetch-site': 'same-origin' }), own)).toBeNull();
    // The browser vouches for same-origin even when the page was reached under another name.
    expect(
      crossSiteWrite(
        'POST',
        incoming({ 'sec-fetch-site': 'same-origin', origin: 'http://localhost:7071' }),
        own,
      ),
    ).toBeNull();
    expect(crossSiteWrite('POST', incoming({ origin: 'http://127.0.0.1:7071' }), own)).toBeNull();
    expect(crossSiteWrite('POST', incoming({}), own)).toBeNull();
    expect(crossSiteWrite('GET', incoming({ 'sec-fetch-site': 'cross-site' }), own)).toBeNull();
  });
});

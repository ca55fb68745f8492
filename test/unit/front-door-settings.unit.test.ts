import { loadSettings, SettingsError } from '../../src/config/settings';

/** HOST, API_KEY, PUBLIC_BASE_URL and TRUST_PROXY: how the one-machine host is exposed, parsed once. */

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof SettingsError) return error.problems;
    throw error;
  }
  return [];
}

describe('front door settings', () => {
  it('bind loopback with no key, no public URL and no trusted proxy by default', () => {
    const settings = loadSettings({});
    expect(settings.host).toBe('127.0.0.1');
    expect(settings.trustProxy).toBe(false);
    expect(settings).not.toHaveProperty('apiKey');
    expect(settings).not.toHaveProperty('publicBaseUrl');
  });

  it.each([
    ['0.0.0.0', '0.0.0.0'],
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['localhost', 'localhost'],
  ])('take HOST=%s as an interface to bind (%s)', (value, host) => {
    expect(loadSettings({ HOST: value }).host).toBe(host);
  });

  it.each(['', 'a b', 'http://0.0.0.0', '[::1', '127.0.0.1:7071'])('refuse HOST=%j by name', (value) => {
    expect(problemsOf({ HOST: value })).toEqual([
      'HOST must be a host name or an IP address such as 127.0.0.1, 0.0.0.0 or ::1',
    ]);
  });

  it('take an API_KEY of 16 to 256 printable characters and refuse others by name', () => {
    expect(loadSettings({ API_KEY: 'k'.repeat(16) }).apiKey).toBe('k'.repeat(16));
    for (const value of ['', 'short', 'k'.repeat(257), `${'k'.repeat(16)} space`]) {
      expect(problemsOf({ API_KEY: value })).toEqual([
        'API_KEY must be 16 to 256 printable ASCII characters',
      ]);
    }
  });

  it.each([
    ['https://inventory.example.com', 'https://inventory.example.com'],
    ['https://inventory.example.com/', 'https://inventory.example.com'],
    ['http://10.0.0.5:7071', 'http://10.0.0.5:7071'],
    ['http://[::1]:7071', 'http://[::1]:7071'],
  ])('take PUBLIC_BASE_URL=%s as the origin of links', (value, origin) => {
    expect(loadSettings({ PUBLIC_BASE_URL: value }).publicBaseUrl).toBe(origin);
  });

  it.each(['javascript://x', 'https://x.example/api', 'https://x.example:99999', 'x.example', 'https://a b'])(
    'refuse PUBLIC_BASE_URL=%s by name',
    (value) => {
      expect(problemsOf({ PUBLIC_BASE_URL: value }).join('\n')).toMatch(
        /^PUBLIC_BASE_URL must be an http\(s\) origin/,
      );
    },
  );

  it('take TRUST_PROXY as true or false only', () => {
    expect(loadSettings({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadSettings({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(problemsOf({ TRUST_PROXY: 'yes' })).toEqual(['TRUST_PROXY must be true or false']);
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from '../../tools/loadtest/client';

/**
 * The load tool's connections: an idle one is closed by the tool before the server's announced keep-alive
 * timeout, so no request is ever sent on a socket the server is closing (ECONNRESET, outcome unknown).
 */
describe('the load tool client', () => {
  it("closes an idle connection a second before the server's Keep-Alive timeout, not after it", async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    server.keepAliveTimeout = 3000; // announced as `Keep-Alive: timeout=3`
    const closedAt: number[] = [];
    server.on('connection', (socket) => socket.on('close', () => closedAt.push(Date.now())));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new ApiClient({ baseUrl: `http://127.0.0.1:${port}/api` });
    try {
      const answeredAt = Date.now();
      const res = await client.request('GET', '/x');
      expect(res.headers['keep-alive']).toBe('timeout=3');
      // Closed by the tool at about 2 s; the server would have closed it at 3 s.
      while (closedAt.length === 0 && Date.now() - answeredAt < 3500)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closedAt).toHaveLength(1);
      expect((closedAt[0] ?? 0) - answeredAt).toBeLessThan(2800);
    } finally {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

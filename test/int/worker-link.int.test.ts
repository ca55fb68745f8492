import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueueUnavailableError } from '../../src/ports/queue';
import { WorkerLink } from '../../src/local/worker-link';

/** The main thread's end of a host thread, against a real worker that echoes each request's id. */

const ECHO = `
  const { parentPort } = require('node:worker_threads');
  parentPort.on('message', (requests) => {
    if (requests.some((r) => r.kind === 'crash')) process.exit(3);
    parentPort.postMessage({ kind: 'replies', replies: requests.map((r) => ({ id: r.id, ok: true })) });
  });
  parentPort.postMessage({ kind: 'ready' });
`;

type Request = { kind: 'echo' | 'crash' | 'stop'; id: number; payload?: unknown };

let dir: string;
let script: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-link-'));
  script = path.join(dir, 'echo.js');
  fs.writeFileSync(script, ECHO);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function start(failures: Error[] = []): Promise<WorkerLink<Request>> {
  return WorkerLink.start<Request>(script, 'echo', { workerData: null, transferList: [] }, (error) =>
    failures.push(error),
  );
}

describe('a link to a host thread', () => {
  it('refuses only the requests that cannot be posted, as not accepted, and keeps serving the rest', async () => {
    const link = await start();
    const refused = link
      .request({ kind: 'echo', id: 0, payload: () => 'not cloneable' })
      .catch((e: unknown) => e);
    expect(await refused).toBeInstanceOf(QueueUnavailableError);
    expect(await refused).toMatchObject({ outcome: 'not-accepted' });
    await expect(link.request({ kind: 'echo', id: 0, payload: 'fine' })).resolves.toBeUndefined();
    await link.stop({ kind: 'stop', id: 0 });
  });

  it('fails what is in flight with an unknown outcome when the thread dies, and says so once', async () => {
    const failures: Error[] = [];
    const link = await start(failures);
    const lost = link.request({ kind: 'crash', id: 0 }).catch((e: unknown) => e);
    expect(await lost).toMatchObject({ outcome: 'unknown' });
    expect(failures.map((e) => e.message)).toEqual(['the echo thread exited with code 3']);
    await expect(link.request({ kind: 'echo', id: 0 })).rejects.toBeInstanceOf(QueueUnavailableError);
  });
});

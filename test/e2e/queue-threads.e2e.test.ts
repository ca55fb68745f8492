import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHostProcess, type HostProcess } from '../support/host-process';
import { ApiClient } from '../support/http-client';

/**
 * The compiled host's queue threads: accepts committed on the accept thread are decided on the consumer
 * thread, and the consumer thread runs at CONSUMER_NICE while the threads that answer requests, and the
 * checkpointers, keep the host's priority. Loopback only, every wait bounded.
 */

let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'e2e-queue-threads-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** The nice value of each thread of a process, by thread id (proc(5): field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNices(pid: number): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended since the listing
    }
    // The fields after the command name (which may hold spaces) start with field 3, the state.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    nices.set(Number(tid), Number(fields[19 - 3]));
  }
  return nices;
}

/** Starts the host, has one reservation accepted and decided, and answers the host. */
async function hostThatDecided(name: string, env: Record<string, string>): Promise<HostProcess> {
  const host = await startHostProcess({ dataDir: path.join(root, name), env });
  const api = new ApiClient(host.url);
  await api.createItem('widget', 5);
  const accepted = await api.reserve({ inventoryId: 'widget', quantity: 2, userId: 'u1' });
  expect(accepted.status).toBe(202);
  expect((await api.pollUntilDecided(accepted.body.statusUrl)).status).toBe('held');
  return host;
}

/** The host inherits this process's nice value: every thread but the lowered ones keeps it. */
const base = os.getPriority();
const onLinux = process.platform === 'linux' && base < 7 ? it : it.skip;

describe('the queue threads of the compiled host', () => {
  onLinux(
    'decides at CONSUMER_NICE on the consumer thread, every other thread unchanged',
    async () => {
      const host = await hostThatDecided('nice-7', { CONSUMER_NICE: '7' });
      try {
        const pid = host.child.pid ?? 0;
        const nices = threadNices(pid);
        expect(nices.get(pid)).toBe(base); // the main thread: HTTP
        const lowered = [...nices.values()].filter((nice) => nice === 7);
        // The consumer thread alone: its checkpointer threads started before it lowered itself.
        expect(lowered).toHaveLength(1);
        expect([...nices.values()].every((nice) => nice === base || nice === 7)).toBe(true);
      } finally {
        expect((await host.stop('SIGINT')).code).toBe(0);
      }
    },
    60_000,
  );

  onLinux(
    'leaves every thread at the host priority with CONSUMER_NICE=0',
    async () => {
      const host = await hostThatDecided('nice-0', { CONSUMER_NICE: '0' });
      try {
        expect([...threadNices(host.child.pid ?? 0).values()].every((nice) => nice === base)).toBe(true);
      } finally {
        expect((await host.stop('SIGINT')).code).toBe(0);
      }
    },
    60_000,
  );
});

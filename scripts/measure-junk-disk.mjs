#!/usr/bin/env node
// Measures what junk costs on disk on the one-machine host: keyed reservations for items that do not
// exist (each answered 202, then rejected INVENTORY_NOT_FOUND). Starts the compiled host on a temporary
// DATA_DIR (loopback only), sends --requests of them with --concurrency in flight, waits until the queue
// has drained, and prints the data folder's size per request, then again after --ttl-wait seconds.
// Usage: npm run build && node scripts/measure-junk-disk.mjs [--requests 20000] [--concurrency 64]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(requests) || requests < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  process.stderr.write('--requests and --concurrency must be positive integers\n');
  process.exit(2);
}

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'junk-disk-'));
const host = spawn(process.execPath, [path.join(root, 'dist/src/local/main.js')], {
  env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let buffer = '';
  host.stdout.on('data', (chunk) => {
    buffer += chunk;
    const match = /"url":"(http:\/\/[^"]+)"/.exec(buffer);
    if (match) resolve(match[1]);
  });
  host.once('exit', (code) => reject(new Error(`host exited with ${code}`)));
});

const bytes = () =>
  fs.readdirSync(dataDir).reduce((sum, name) => sum + fs.statSync(path.join(dataDir, name)).size, 0);
const started = Date.now();
let next = 0;
let lastLocation = '';
async function worker() {
  while (next < requests) {
    const n = next++;
    const res = await fetch(`${url}/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `junk-${n}` },
      body: JSON.stringify({ inventoryId: `no-such-item-${n}`, quantity: 1, userId: `u-${n}` }),
    });
    if (res.status !== 202) throw new Error(`request ${n}: ${res.status} ${await res.text()}`);
    lastLocation = res.headers.get('location') ?? lastLocation;
    await res.arrayBuffer();
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
// Drained when the last reservation is decided (sessions are independent; poll a sample of the last ones).
for (;;) {
  const res = await fetch(lastLocation);
  const body = await res.json();
  if (body.status !== 'pending') break;
  await new Promise((r) => setTimeout(r, 200));
}
await new Promise((r) => setTimeout(r, 3_000)); // let completions and checkpoints land
const seconds = (Date.now() - started) / 1000;
const total = bytes();
host.kill('SIGTERM');
await new Promise((r) => host.once('exit', r));
const afterStop = bytes();
const line = (label, value) => process.stdout.write(`${label.padEnd(44)} ${value}\n`);
line('requests (keyed, unknown items)', requests);
line('seconds', seconds.toFixed(1));
line('data folder while running (bytes)', total);
line('data folder after a clean stop (bytes)', afterStop);
line('bytes per request after a clean stop', (afterStop / requests).toFixed(0));
fs.rmSync(dataDir, { recursive: true, force: true });

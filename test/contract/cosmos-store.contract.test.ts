import { randomUUID } from 'node:crypto';
import { createCosmosStore } from '../../src/adapters/cosmos/client';
import type { CosmosStore } from '../../src/adapters/cosmos/cosmos-store';
import { translateError, writeFailureOf } from '../../src/adapters/cosmos/errors';
import { InvalidContinuationError, TransientStoreError, type StoredDocument } from '../../src/ports/store';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmos-server';
import { describeStoreContract } from './store-contract';

/*
 * The same contract as the embedded store, through the real @azure/cosmos SDK against @vercel/cosmosdb-server
 * running in this process over HTTP.
 *
 * rollsBackFailedBatches: false. That server applies the operations of a batch one by one and, when one fails,
 * answers 424 for the rest without undoing the ones before it (real Cosmos DB applies a batch whole or not at
 * all). So the single contract case "leaves no trace of a batch whose later operation fails" is asserted against
 * the embedded store only (test/contract/embedded-store.contract.test.ts). Every other case runs unchanged,
 * including a batch whose FIRST operation fails (nothing was applied before it, so the gap does not show).
 * See docs/COSMOS.md.
 */

const openCosmos = async (server: CosmosTestServer, database: string): Promise<CosmosStore> =>
  createCosmosStore({
    endpoint: server.endpoint,
    key: server.key,
    database,
    container: 'inventory',
    createIfMissing: true,
  });

describeStoreContract('Cosmos DB (SDK + cosmosdb-server)', async () => {
  const server = await startCosmosServer();
  const store = await openCosmos(server, 'contract');
  return {
    store,
    rollsBackFailedBatches: false,
    dispose: async () => {
      await store.close();
      await server.stop();
    },
  };
});

interface Doc extends StoredDocument {
  value: number;
}

describe('Cosmos DB adapter specifics', () => {
  let server: CosmosTestServer;
  let store: CosmosStore;
  let pk: string;

  beforeAll(async () => {
    server = await startCosmosServer();
    store = await openCosmos(server, 'specifics');
  });
  afterAll(async () => {
    await store.close();
    await server.stop();
  });
  beforeEach(() => {
    pk = `item-${randomUUID()}`;
  });

  const doc = (id: string, value: number): Doc => ({ id, type: 'reservation', value });

  it('resolves a batch that hits 412 on a later operation to a conflict at that index (no throw)', async () => {
    const created = await store.create(pk, doc('item', 1));
    if (!created.ok) throw new Error('create failed');
    await store.replace(pk, doc('item', 2));
    const result = await store.batch(pk, [
      { op: 'create', doc: doc('r1', 10) },
      { op: 'replace', doc: doc('item', 3), ifMatch: created.etag },
      { op: 'create', doc: doc('r2', 20) },
    ]);
    expect(result).toEqual({ ok: false, failure: 'conflict', index: 1 });
    expect((await store.read<Doc>(pk, 'item'))?.doc.value).toBe(2);
  });

  it('honours ifMatch on a delete inside a batch and answers null as its ETag', async () => {
    const created = await store.create(pk, doc('gone', 1));
    if (!created.ok) throw new Error('create failed');
    const stale = await store.batch(pk, [{ op: 'delete', id: 'gone', ifMatch: '"stale"' }]);
    expect(stale).toEqual({ ok: false, failure: 'conflict', index: 0 });
    const done = await store.batch(pk, [
      { op: 'delete', id: 'gone', ifMatch: created.etag },
      { op: 'create', doc: doc('next', 2) },
    ]);
    expect(done.ok && done.etags[0]).toBeNull();
    expect(await store.read(pk, 'gone')).toBeNull();
  });

  it('stores the partition key as `pk` and strips it, with the system properties, from reads and queries', async () => {
    await store.create(pk, doc('a', 1));
    await store.batch(pk, [{ op: 'create', doc: doc('b', 2) }]);
    const read = await store.read<Doc>(pk, 'a');
    expect(read?.doc).toEqual({ id: 'a', type: 'reservation', value: 1 });
    expect(read?.etag).toEqual(expect.any(String));
    const page = await store.query<Doc>(pk, { type: 'reservation', orderBy: 'id' }, { limit: 10 });
    expect(page.items).toEqual([
      { id: 'a', type: 'reservation', value: 1 },
      { id: 'b', type: 'reservation', value: 2 },
    ]);
    const raw = (await store.container.item('a', pk).read<Record<string, unknown>>()).resource;
    expect(raw).toHaveProperty('_etag', read?.etag);
    expect(raw).toHaveProperty('_rid');
    expect(raw).toHaveProperty('pk', pk);
    const batched = (await store.container.item('b', pk).read<Record<string, unknown>>()).resource;
    expect(batched).toHaveProperty('pk', pk);
    const { resource: definition } = await store.container.read();
    expect(definition?.partitionKey?.paths).toEqual(['/pk']);
  });

  it('rejects a continuation token issued for another query or partition', async () => {
    for (let i = 0; i < 3; i += 1) await store.create(pk, doc(`r${i}`, i));
    const first = await store.query(pk, { type: 'reservation', orderBy: 'id' }, { limit: 1 });
    expect(first.continuation).toEqual(expect.any(String));
    const continuation = first.continuation ?? '';
    await expect(
      store.query(pk, { type: 'reservation', orderBy: 'seq' }, { limit: 1, continuation }),
    ).rejects.toThrow('continuation token is not valid');
    await expect(
      store.query(`${pk}-other`, { type: 'reservation', orderBy: 'id' }, { limit: 1, continuation }),
    ).rejects.toThrow('continuation token is not valid');
  });

  it('turns the service refusing a forged continuation token (400) into InvalidContinuationError', async () => {
    await store.create(pk, doc('a', 1));
    // Our token format, wrapping an SDK token the service cannot parse: it answers 400 Bad Request.
    const forged = Buffer.from(
      JSON.stringify({ v: 1, p: pk, t: 'reservation', s: null, o: 'id', c: '[]' }),
      'utf8',
    ).toString('base64url');
    await expect(
      store.query(pk, { type: 'reservation', orderBy: 'id' }, { limit: 1, continuation: forged }),
    ).rejects.toThrow(InvalidContinuationError);
  });

  it('shares one CosmosClient per endpoint between stores', async () => {
    const other = await openCosmos(server, 'specifics');
    expect(other.container.database.client).toBe(store.container.database.client);
    await other.close();
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('maps a stopped server to a transient "unavailable" error', async () => {
    const lonely = await startCosmosServer();
    const gone = await openCosmos(lonely, 'lonely');
    await lonely.stop();
    await expect(gone.read(pk, 'a')).rejects.toMatchObject({
      name: 'TransientStoreError',
      kind: 'unavailable',
    });
    await gone.close();
  });
});

describe('Cosmos DB error translation', () => {
  it('turns 429 into a throttled TransientStoreError carrying retryAfterInMs', () => {
    const error = translateError({ code: 429, retryAfterInMs: 100, message: 'Request rate is large' });
    expect(error).toBeInstanceOf(TransientStoreError);
    expect(error).toMatchObject({ kind: 'throttled', retryAfterMs: 100 });
  });

  it.each([408, 449, 503])('turns %i into an unavailable TransientStoreError', (code) => {
    expect(translateError({ code })).toMatchObject({ name: 'TransientStoreError', kind: 'unavailable' });
  });

  it('turns a session-not-available 404 (substatus 1002) into unavailable, not notFound', () => {
    expect(writeFailureOf({ code: 404, substatus: 1002 })).toBeUndefined();
    expect(translateError({ code: 404, substatus: 1002 })).toMatchObject({ kind: 'unavailable' });
  });

  it.each(['ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET', 'REQUEST_SEND_ERROR'])(
    'turns the network error %s into unavailable',
    (code) => {
      const error = Object.assign(new Error(`connect ${code}`), { code });
      expect(translateError(error)).toMatchObject({ kind: 'unavailable' });
    },
  );

  it('classifies a whole-batch failure the SDK rewraps without its status', () => {
    const throttled = new Error('Batch request error: Message: {"Errors":["Request rate is large."]}');
    expect(translateError(throttled)).toMatchObject({ kind: 'throttled' });
    expect(translateError(new Error('Batch request error: connect ECONNREFUSED 127.0.0.1:1'))).toMatchObject({
      kind: 'unavailable',
    });
  });

  it('maps the typed write failures and rethrows anything else unchanged', () => {
    expect([412, 409, 404, 413].map((code) => writeFailureOf({ code }))).toEqual([
      'conflict',
      'duplicate',
      'notFound',
      'tooLarge',
    ]);
    expect(writeFailureOf({ code: 404, substatus: 1003 })).toBeUndefined();
    const bug = Object.assign(new Error('bad request'), { code: 400 });
    expect(translateError(bug)).toBe(bug);
    const forbidden = Object.assign(new Error('forbidden'), { code: 403 });
    expect(translateError(forbidden)).toBe(forbidden);
  });
});

import type {
  BatchOperation,
  BatchResult,
  CrossPartitionSpec,
  DocumentStore,
  Page,
  PageRequest,
  QuerySpec,
  StoredDocument,
  Versioned,
  WriteResult,
} from '../../src/ports/store';
import { RequestUnitMeter } from './ru-meter';

/** How many calls of each kind went through the store: round trips are what a remote store charges for. */
export interface StoreCallCounts {
  read: number;
  create: number;
  replace: number;
  batch: number;
  query: number;
  /** Writes refused because the ETag had moved on (412): each one costs the writer a retry. */
  conflicts: number;
}

export function zeroCounts(): StoreCallCounts {
  return { read: 0, create: 0, replace: 0, batch: 0, query: 0, conflicts: 0 };
}

/**
 * A DocumentStore decorator that waits a fixed round trip before each read, create, replace, batch and
 * query, standing in for a remote store (Cosmos DB in the same region) in front of the embedded one.
 * It also counts calls, so a run can report round trips per decision, and charges each call the request
 * units Cosmos DB would (ru-model.ts, through the meter). A delay of 0 adds no timer.
 */
export class DelayedStore implements DocumentStore {
  readonly calls: StoreCallCounts = zeroCounts();
  private readonly meter = new RequestUnitMeter();
  private charges: (() => void)[] = [];
  private chargeHandle: NodeJS.Immediate | undefined;

  constructor(
    private readonly inner: DocumentStore,
    readonly delayMs: number,
  ) {
    if (!Number.isFinite(delayMs) || delayMs < 0)
      throw new RangeError(`delayMs must be >= 0, got ${delayMs}`);
  }

  async read<T extends StoredDocument>(partitionKey: string, id: string): Promise<Versioned<T> | null> {
    this.calls.read += 1;
    await this.roundTrip();
    const found = await this.inner.read<T>(partitionKey, id);
    this.charge(() => this.meter.read(partitionKey, found?.doc ?? null));
    return found;
  }

  async create(partitionKey: string, doc: StoredDocument): Promise<WriteResult> {
    this.calls.create += 1;
    await this.roundTrip();
    const result = await this.inner.create(partitionKey, doc);
    this.charge(() => this.meter.write(partitionKey, { op: 'create', doc }, result.ok));
    return result;
  }

  async replace(partitionKey: string, doc: StoredDocument, ifMatch?: string): Promise<WriteResult> {
    this.calls.replace += 1;
    await this.roundTrip();
    const result = await this.inner.replace(partitionKey, doc, ifMatch);
    this.charge(() => this.meter.write(partitionKey, { op: 'replace', doc }, result.ok));
    if (!result.ok && result.failure === 'conflict') this.calls.conflicts += 1;
    return result;
  }

  async batch(partitionKey: string, operations: readonly BatchOperation[]): Promise<BatchResult> {
    this.calls.batch += 1;
    await this.roundTrip();
    const result = await this.inner.batch(partitionKey, operations);
    this.charge(() => this.meter.batch(partitionKey, operations, result));
    if (!result.ok && result.failure === 'conflict') this.calls.conflicts += 1;
    return result;
  }

  async query<T extends StoredDocument>(
    partitionKey: string,
    spec: QuerySpec,
    page: PageRequest,
  ): Promise<Page<T>> {
    this.calls.query += 1;
    await this.roundTrip();
    const result = await this.inner.query<T>(partitionKey, spec, page);
    this.charge(() => this.meter.queryPage(partitionKey, result.items));
    return result;
  }

  /** Counted as a query: one round trip per page. */
  async queryAcrossPartitions<T extends StoredDocument>(
    spec: CrossPartitionSpec,
    page: PageRequest,
  ): Promise<Page<T>> {
    this.calls.query += 1;
    await this.roundTrip();
    const result = await this.inner.queryAcrossPartitions<T>(spec, page);
    this.charge(() => this.meter.queryPage(null, result.items));
    return result;
  }

  sync(): Promise<void> {
    return this.inner.sync();
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** What the calls so far cost under the RU model, every call charged. */
  get requestUnits(): RequestUnitMeter {
    this.settleCharges();
    return this.meter;
  }

  /**
   * Charges a call after it returned, in call order, while its caller waits for its next round trip: the
   * model's sizing of documents is the bench's own work, not the store's, and stays off the measured path.
   * The documents are the caller's, written or read and not changed afterwards.
   */
  private charge(work: () => void): void {
    this.charges.push(work);
    this.chargeHandle ??= setImmediate(() => this.settleCharges());
  }

  private settleCharges(): void {
    if (this.chargeHandle) clearImmediate(this.chargeHandle);
    this.chargeHandle = undefined;
    const work = this.charges;
    this.charges = [];
    for (const charge of work) charge();
  }

  private roundTrip(): Promise<void> {
    if (this.delayMs <= 0) return Promise.resolve();
    return new Promise((resolve) => setTimeout(resolve, this.delayMs));
  }
}

import type { DocumentStore } from '../ports/store';

/** The writing half of a store: what the threaded host hands to its accept thread. */
export type StoreWrites = Pick<DocumentStore, 'create' | 'replace' | 'batch' | 'sync'>;

/**
 * One store made of two: reads (and readiness, and close) through `reads`, every write through `writes`.
 * The threaded host's HTTP thread reads its own connection and writes through the accept thread's.
 */
export function splitStore(reads: DocumentStore, writes: StoreWrites): DocumentStore {
  return {
    read: (partitionKey, id) => reads.read(partitionKey, id),
    query: (partitionKey, spec, page) => reads.query(partitionKey, spec, page),
    queryAcrossPartitions: (spec, page) => reads.queryAcrossPartitions(spec, page),
    ping: () => reads.ping(),
    close: () => reads.close(),
    create: (partitionKey, doc) => writes.create(partitionKey, doc),
    replace: (partitionKey, doc, ifMatch) => writes.replace(partitionKey, doc, ifMatch),
    batch: (partitionKey, operations) => writes.batch(partitionKey, operations),
    sync: () => writes.sync(),
  };
}

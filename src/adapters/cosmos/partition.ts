/**
 * The property of every stored item that holds its partition key. It is the store's, not the domain's: the
 * adapter adds it on write from the partition key the caller names and strips it on read.
 */
export const PARTITION_KEY_PROPERTY = 'pk';

/**
 * The container's partition key path. A partition holds one item's documents (the item, its reservations,
 * ledger events, command markers and user tallies), or a record kept apart (an idempotency key, a cart).
 */
export const PARTITION_KEY_PATH = '/pk';

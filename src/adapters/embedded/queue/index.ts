export { EmbeddedSessionQueue } from './session-queue';
export type { EmbeddedQueueOptions, QueueCounts } from './core';

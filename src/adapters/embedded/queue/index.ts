export { EmbeddedSessionQueue } from './session-queue';
export type { EmbeddedQueueOptions, ExhaustedMessage, QueueCounts } from './core';

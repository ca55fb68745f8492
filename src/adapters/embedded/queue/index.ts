export { EmbeddedSessionQueue } from './session-queue';
export { EmbeddedAcceptWriter, type AcceptWriterOptions } from './accept-writer';
export type { CommittedMessages, EmbeddedQueueOptions, QueueCounts } from './core';

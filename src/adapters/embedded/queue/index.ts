export { EmbeddedSessionQueue } from './session-queue';
export {
  EmbeddedAcceptWriter,
  handOver,
  type AcceptWriterOptions,
  type CommittedMessages,
} from './accept-writer';
export type { EmbeddedQueueOptions, QueueCounts } from './core';

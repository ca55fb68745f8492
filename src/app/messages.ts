import type { CommandOutcome } from './processing/outcome';

/** A message as a session trigger hands it over. */
export interface IncomingMessage {
  body: unknown;
  messageId: string;
  sessionId: string;
  deliveryCount: number;
}

export type Settlement =
  | { action: 'complete'; outcome: CommandOutcome }
  | { action: 'deadLetter'; reason: string; description: string };

import type { Services } from '../app/services';
import type { SessionSource } from '../ports/sessions';

export type LocalSessions = SessionSource & { close?: () => Promise<void> };

export interface ComposedServices extends Services {
  /**
   * Where a local dispatcher takes sessions from (the embedded queue, or Service Bus); null when the
   * consumer runs on its own thread and no dispatcher is needed on this one.
   */
  sessions: LocalSessions | null;
}

/** Live counters the CLI shows while the run goes; the runner only ever writes them. */
export interface Progress {
  phase: 'setup' | 'reserve' | 'decide' | 'settle' | 'collect' | 'check' | 'done';
  total: number;
  sent: number;
  accepted: number;
  decided: number;
  errors: number;
  settleSent: number;
  settleDecided: number;
  collected: number;
  startedAt: number;
}

export function newProgress(total: number): Progress {
  return {
    phase: 'setup',
    total,
    sent: 0,
    accepted: 0,
    decided: 0,
    errors: 0,
    settleSent: 0,
    settleDecided: 0,
    collected: 0,
    startedAt: Date.now(),
  };
}

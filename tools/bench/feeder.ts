import type { ReserveCommand } from '../../src/domain/model';
import type { Clock } from '../../src/ports/clock';
import type { Workload } from './workload';

export interface Pending {
  command: ReserveCommand;
  /** performance.now() when the command became available to the consumers. */
  availableAt: number;
}

export interface Settlement {
  inventoryId: string;
  status: string;
  reason: string | null;
}

export interface FeederLimits {
  /** Commands generated at most. */
  commands: number;
  /** No new command after this many seconds; calls in flight still finish. */
  seconds: number;
  /** Closed loop: this many commands are outstanding; each decision lets its client send the next one. */
  clients: number;
}

/**
 * The callers of a run, as a closed loop: `clients` commands are outstanding at any time, each decision
 * releases the next command, until the command count or the time cap is reached. It records when each
 * command was decided (latency from availability to commit) and flags a command decided twice.
 */
export class Feeder {
  generated = 0;
  decided = 0;
  startedAt = 0;
  lastCommitAt = 0;
  stopped = false;
  readonly latencies: number[] = [];
  readonly settled = new Map<string, Settlement>();
  /** Command ids settled more than once (must stay empty). */
  readonly settledTwice: string[] = [];
  private deadline = 0;
  /** Decisions settled whose clients have not sent their next command yet. */
  private owed = 0;
  private owedHandle: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly stopListeners: (() => void)[] = [];

  constructor(
    private readonly workload: Workload,
    private readonly clock: Clock,
    private readonly limits: FeederLimits,
    private readonly sink: (pending: Pending) => void,
  ) {}

  start(): void {
    this.startedAt = performance.now();
    this.lastCommitAt = this.startedAt;
    this.deadline = this.startedAt + this.limits.seconds * 1000;
    this.timer = setTimeout(() => this.stop(), this.limits.seconds * 1000);
    const initial = Math.min(this.limits.clients, this.limits.commands);
    for (let i = 0; i < initial; i++) this.submit();
    if (initial === 0) this.stop();
  }

  onStop(listener: () => void): void {
    this.stopListeners.push(listener);
  }

  settle(pending: Pending, status: string, reason: string | null, at = performance.now()): void {
    const id = pending.command.commandId;
    if (this.settled.has(id)) this.settledTwice.push(id);
    this.settled.set(id, { inventoryId: pending.command.inventoryId, status, reason });
    this.decided += 1;
    this.latencies.push(at - pending.availableAt);
    this.lastCommitAt = at;
    if (!this.stopped) this.submitSoon();
    if (this.decided >= this.generated && (this.stopped || this.generated >= this.limits.commands))
      this.stop();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.owedHandle) clearImmediate(this.owedHandle);
    this.owedHandle = undefined;
    this.owed = 0;
    this.timer = undefined;
    if (this.stopped) return;
    this.stopped = true;
    for (const listener of this.stopListeners.splice(0)) listener();
  }

  /** Seconds from the start to the last commit. */
  get elapsedSeconds(): number {
    return (this.lastCommitAt - this.startedAt) / 1000;
  }

  /**
   * The next command of a client, made once the decisions being settled now are all told: in the host the
   * HTTP thread makes commands, so making them (ids, hashes) stays off the session's path to its next batch.
   */
  private submitSoon(): void {
    this.owed += 1;
    this.owedHandle ??= setImmediate(() => {
      this.owedHandle = undefined;
      const owed = this.owed;
      this.owed = 0;
      for (let i = 0; i < owed && !this.stopped; i++) this.submit();
    });
  }

  private submit(): void {
    if (this.generated >= this.limits.commands || performance.now() >= this.deadline) {
      if (performance.now() >= this.deadline) this.stop();
      return;
    }
    this.generated += 1;
    this.sink({ command: this.workload.next(this.clock), availableAt: performance.now() });
  }
}

/** What a writer takes its turns through: a WriteGate, or UNGATED for a file only one thread writes. */
export interface Gate {
  run<T>(write: () => T): T;
}

export const UNGATED: Gate = { run: (write) => write() };

/**
 * Takes turns among the threads of one process that write the same SQLite file, first come first served.
 * Without it, a writer finding the file locked sleeps in SQLite's busy handler for 1, 2, 5, 10, 15, 20,
 * 25 ms in turn (sqliteDefaultBusyCallback in sqlite3.c) and usually wakes to find the other thread in
 * its next transaction already: a thread that writes all the time (the consumer) starves one that writes
 * now and then (the accept thread). Here a waiter is woken the moment the holder is done
 * (Atomics.notify), in ticket order. Writers of other processes (a backup) still meet busy_timeout.
 *
 * Each thread makes its own WriteGate over the same SharedArrayBuffer; the gate is reentrant on a thread.
 * Tickets are 32-bit and wrap around together, so the order holds past 2^31 turns.
 */
export class WriteGate implements Gate {
  /** [0]: the next ticket to hand out; [1]: the ticket being served. */
  private readonly cells: Int32Array;
  private depth = 0;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8)) {
    this.cells = new Int32Array(buffer);
  }

  /** Runs `write` (synchronous: one SQLite transaction) once it is this thread's turn. */
  run<T>(write: () => T): T {
    if (this.depth > 0) return this.held(write);
    this.acquire();
    try {
      return this.held(write);
    } finally {
      Atomics.add(this.cells, 1, 1);
      Atomics.notify(this.cells, 1);
    }
  }

  private held<T>(write: () => T): T {
    this.depth++;
    try {
      return write();
    } finally {
      this.depth--;
    }
  }

  /**
   * Waits without a deadline: a holder runs one synchronous transaction, itself bounded by busy_timeout
   * against other processes, and a thread cannot die holding the gate without the whole process.
   */
  private acquire(): void {
    const ticket = Atomics.add(this.cells, 0, 1);
    for (;;) {
      const serving = Atomics.load(this.cells, 1);
      if (serving === ticket) return;
      Atomics.wait(this.cells, 1, serving);
    }
  }
}

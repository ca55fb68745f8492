import os from 'node:os';

/**
 * Lowers the calling thread's scheduling priority to `nice` (19 = lowest), never raising it: a host
 * started at a higher nice value keeps that. On Linux the nice value belongs to each thread, not to the
 * process (setpriority(2), NOTES: "under the current Linux/NPTL implementation of POSIX threads, the nice
 * value is a per-thread attribute"), and os.setPriority(n) is libuv's uv_os_setpriority(0, n), that is
 * setpriority(PRIO_PROCESS, 0, n): the caller alone. Threads it starts later inherit the value. Elsewhere
 * the call would lower the whole process, so nothing is changed. Lowering needs no privilege.
 * Answers why the priority was not lowered, or null.
 */
export function lowerThreadPriority(nice: number): string | null {
  try {
    if (os.getPriority() >= nice) return null;
    if (process.platform !== 'linux')
      return `a thread's own priority is set on Linux only, not on ${process.platform}`;
    os.setPriority(nice);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

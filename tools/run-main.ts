/** Where a tool writes: lines to standard output and standard error (tests pass their own). */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const STANDARD_OUTPUT: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs a tool's main: its answer is the exit code; a throw is printed with its stack and exits 1. */
export function runMain(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}

/** Bad arguments of a tool, each problem a line: exit 2. */
export class ToolArgsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ToolArgsError';
  }
}

/** Raised for --help: not an error, the caller prints the usage and exits 0. */
export class ToolHelpRequested extends Error {
  constructor() {
    super('help');
    this.name = 'ToolHelpRequested';
  }
}

/** Prints the usage for --help (exit 0) or each bad argument (exit 2); anything else is rethrown. */
export function argsFailure(tool: string, usage: string, error: unknown, output: Output): number {
  if (error instanceof ToolHelpRequested) {
    output.out(usage);
    return 0;
  }
  if (error instanceof ToolArgsError) {
    output.err(`${tool}: invalid arguments\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
    output.err('Run with --help for usage.');
    return 2;
  }
  throw error;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

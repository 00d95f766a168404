import { ConfigError, TillsyncError } from "@tillsync/shared";

/** Exit codes: 0 ok, 1 the operation failed, 2 bad configuration or usage. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** Prints one line and exits: 2 for a bad configuration or input, 1 for anything else. */
export function fail(err: unknown): never {
  const e = err as Error;
  // One line: an operator greps logs, and a script reads only the first line anyway.
  console.error(`tillsync-central: ${e.message.replace(/\s*\n\s*/g, "; ")}`);
  const usage = err instanceof ConfigError || (err instanceof TillsyncError && err.httpStatus === 400);
  process.exit(usage ? EXIT.USAGE : EXIT.FAILED);
}

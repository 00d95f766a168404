import { InvalidArgumentError } from "commander";
import { ConfigError } from "@tillsync/shared";

/** Exit codes: 0 ok, 1 the operation failed (e.g. central unreachable), 2 bad config or usage. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** An operation that could not be done; exit 1 with this one line. */
export class CommandFailed extends Error {}

/** A missing confirmation or a bad combination of arguments: exit 2 with this one line. */
export class UsageError extends Error {}

/** Prints one line and exits: 2 for a bad configuration, 1 for anything else. */
export function fail(err: unknown): never {
  const e = err as Error;
  // One line: an operator greps logs, and a script reads only the first line anyway.
  console.error(`tillsync-agent: ${e.message.replace(/\s*\n\s*/g, "; ")}`);
  process.exit(err instanceof ConfigError || err instanceof UsageError ? EXIT.USAGE : EXIT.FAILED);
}

/** An option parser for a whole number from 1 to `max`; commander turns the throw into exit 2. */
export function positiveInt(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    return n;
  };
}

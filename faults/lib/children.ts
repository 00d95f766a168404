import type { ChildProcess } from "node:child_process";

/**
 * Every process the suite starts (PostgreSQL, Redis, central, agents, writers). However the
 * run ends — done, Ctrl-C, SIGTERM, an uncaught error — none of them may outlive it: a stray
 * central or PostgreSQL would hold a port and load a shared machine.
 */
const live = new Set<ChildProcess>();

export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    console.error(`test:faults: ${signal}, stopping every process it started`);
    process.exit(130);
  });

import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { SOURCE_NODE_ARGS } from "@tillsync/testkit";
import { onCleanup } from "./bench-env";

/** One agent a child runs: its place in the bench's list, its central and its credentials. */
export interface ChildAgent {
  index: number;
  url: string;
  key: string;
  terminalId: string;
  file: string;
}

/** Parent → child (bench/fan-out-agents.ts). */
export type ToChild =
  | { type: "start"; agents: ChildAgent[] }
  | { type: "watch"; productId: string; price: number }
  | { type: "unwatch" }
  | { type: "cycle"; index: number }
  | { type: "stop" };

/** Child → parent. `at` is the child's Date.now() (same machine, same clock as the parent's). */
export type ToParent =
  | { type: "ready" }
  | { type: "watching" }
  /** Agents that applied the price, gathered for a few ms (one IPC message per agent cost the children ~7 % of their CPU). */
  | { type: "applied"; agents: Array<{ index: number; at: number }> }
  | { type: "cycled"; ms: number }
  | { type: "stopped" }
  | { type: "failed"; message: string };

/** A child process running a share of the agents, with a promise per awaited answer. */
export class AgentProcess {
  readonly child: ChildProcess;
  /** Agents' applied times as the child reports them (index → Date.now() there). */
  onApplied: (index: number, at: number) => void = () => undefined;
  private waiting: Array<{ type: ToParent["type"]; resolve(m: ToParent): void; reject(e: Error): void }> = [];

  constructor() {
    this.child = fork(path.join(__dirname, "../fan-out-agents.ts"), [], {
      execArgv: [...SOURCE_NODE_ARGS],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (m: ToParent) => {
      if (m.type === "applied") {
        for (const a of m.agents) this.onApplied(a.index, a.at);
        return;
      }
      if (m.type === "failed") return this.failAll(new Error(`agent process: ${m.message}`));
      const i = this.waiting.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiting.splice(i, 1)[0]!.resolve(m);
    });
    this.child.on("exit", (code) => this.failAll(new Error(`agent process exited (${code})`)));
    onCleanup(() => this.kill());
  }

  /** Sends `m` and waits for the answer of type `answer`. */
  ask<T extends ToParent["type"]>(m: ToChild, answer: T): Promise<Extract<ToParent, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ type: answer, resolve: resolve as (m: ToParent) => void, reject });
      this.child.send(m);
    });
  }

  send(m: ToChild): void {
    this.child.send(m);
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  /** Stops its agents cleanly (sockets, SQLite), then the process. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await Promise.race([this.ask({ type: "stop" }, "stopped"), new Promise((r) => setTimeout(r, 30_000))]).catch(
      () => undefined,
    );
    this.child.kill("SIGKILL");
  }
}

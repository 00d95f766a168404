import { connectTestSocket, type TestSocket } from "@tillsync/testkit";
import type { RunningCentral } from "../../src/main";
import type { TestCentral } from "../../testing";

/** Instance B of a hub of two, beside `useTestCentral`'s instance A, for the tests of one describe. */
export interface SecondInstance {
  /** B as it runs now (a new object after `restart`). */
  readonly running: RunningCentral;
  /** B's base URL. */
  readonly url: string;
  /** Stops B and starts it again on the same database and Redis prefix, on a new port. */
  restart(): Promise<void>;
  /** A terminal's socket to either instance (`url`: A's or B's), closed after the describe. */
  connectTo(url: string, t: { terminalId: string; key: string }, opts?: { autoAck?: boolean }): TestSocket;
}

/**
 * Starts B before the describe's tests (same database, same Redis prefix as A: the two behave
 * as one hub) and stops it, and every socket opened through `socket`, after them.
 */
export function useSecondInstance(a: TestCentral): SecondInstance {
  let b: RunningCentral | undefined;
  const sockets: TestSocket[] = [];
  const started = (): RunningCentral => {
    if (!b) throw new Error("instance B is used before beforeAll started it");
    return b;
  };
  beforeAll(async () => {
    b = await a.startInstance();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await b?.stop();
  });
  return {
    get running() {
      return started();
    },
    get url() {
      return `http://127.0.0.1:${started().port}`;
    },
    async restart() {
      await started().stop();
      b = undefined;
      b = await a.startInstance();
    },
    connectTo(url, t, opts) {
      const s = connectTestSocket(url, t, opts);
      sockets.push(s);
      return s;
    },
  };
}

import type { PushChange, PushResult } from "@tillsync/shared";
import { createAgent, HttpCentralTransport, type Agent, type EngineOverrides } from "../../src";
import { createTestAgent, type TestAgent } from "../../testing";

/** What a test may do around each push: see the batch, act while it is in flight, fail it. */
export type PushHook = (changes: PushChange[], send: () => Promise<PushResult[]>) => Promise<PushResult[]>;

export interface WatchedAgent extends Agent {
  /** The till software's own connection (busy timeout 5 s). */
  till: TestAgent["till"];
  /** Every batch sent, in order. */
  sent: PushChange[][];
  destroy(): Promise<void>;
}

/**
 * An agent on a temp-dir SQLite file whose pushes go through `hook` on their way to the real
 * central: a transport double around HTTP, so the interleavings the tests need happen exactly
 * where they say.
 */
export function createWatchedAgent(
  centralUrl: string,
  creds: { terminalId: string; key: string },
  overrides: Parameters<typeof createTestAgent>[2] = {},
  hook: PushHook = (_c, send) => send(),
  engineOverrides: EngineOverrides = {},
): WatchedAgent {
  const probe = createTestAgent(centralUrl, creds, overrides);
  const http = new HttpCentralTransport({
    baseUrl: centralUrl,
    key: creds.key,
    terminalId: creds.terminalId,
    timeoutMs: 10_000,
  });
  const sent: PushChange[][] = [];
  const agent = createAgent(
    probe.config,
    {
      push: (changes) =>
        hook(changes, () => {
          sent.push(changes);
          return http.push(changes);
        }),
      pull: (s, l, e) => http.pull(s, l, e),
      acknowledge: (c) => http.acknowledge(c),
      heartbeat: (b) => http.heartbeat(b),
    },
    engineOverrides,
  );
  return {
    ...agent,
    sent,
    till: () => probe.till(),
    async destroy() {
      await agent.close();
      await probe.destroy();
    },
  };
}

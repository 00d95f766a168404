import http from "node:http";
import type { AddressInfo } from "node:net";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CentralUnreachableError,
  ConfigError,
  START_CURSOR,
  type FeedCursor,
  type PullResponse,
  type PushChange,
  type PushResult,
} from "@tillsync/shared";
import { AGENT_VARIABLES, loadAgentConfig, loadLocalConfig } from "../src/config";
import { editDistance, unknownVariables } from "../src/config/env-checks";
import { engineOptionsFromConfig } from "../src/daemon/from-config";
import { BREAKER_DEFAULTS, transition, type SyncState } from "../src/sync/sync-state-machine";
import { AGENT_DEFAULTS, createAgent, transportFromConfig, type Agent, type CentralTransport } from "../src";

const good = {
  CENTRAL_API_URL: "http://127.0.0.1:4000",
  CENTRAL_API_KEY: "tsk_0123456789abcdef",
  TERMINAL_ID: "4b1e9c1e-3f1a-4c7e-9d1b-2f3a4b5c6d7e",
};

describe("agent configuration", () => {
  it("applies SPEC defaults", () => {
    const c = loadAgentConfig(good);
    expect(c).toMatchObject({
      SYNC_INTERVAL: 300,
      SYNC_BATCH_SIZE: 100,
      SYNC_TIMEOUT: 30,
      SYNC_RETRY_ATTEMPTS: 3,
      databasePath: path.resolve("./data/terminal.db"),
    });
  });

  it.each([
    ["SYNC_INTERVAL", "soon"],
    ["TERMINAL_ID", "till-7"],
    ["CENTRAL_API_URL", "central:4000"],
    ["SYNC_BATCH_SIZE", "0"],
    ["TERMINAL_DATABASE_URL", "/var/lib/till.db"],
  ])("names the bad variable %s", (name, value) => {
    expect(() => loadAgentConfig({ ...good, [name]: value })).toThrow(ConfigError);
    expect(() => loadAgentConfig({ ...good, [name]: value })).toThrow(
      new RegExp(`^invalid agent configuration: ${name}:`),
    );
  });

  it("names a missing variable", () => {
    expect(() => loadAgentConfig({ CENTRAL_API_URL: good.CENTRAL_API_URL, TERMINAL_ID: good.TERMINAL_ID })).toThrow(
      /CENTRAL_API_KEY: is required/,
    );
  });

  it("local commands need only the database location, and still name a bad variable", () => {
    const local = loadLocalConfig({ TERMINAL_DATABASE_URL: "file:/var/lib/till.db" });
    expect(local).toMatchObject({ SYNC_INTERVAL: 300, OUTBOX_RETENTION_DAYS: 7, databasePath: "/var/lib/till.db" });
    expect(local.CENTRAL_API_URL).toBeUndefined();
    expect(() => loadLocalConfig({ OUTBOX_RETENTION_DAYS: "a week" })).toThrow(
      /^invalid agent configuration: OUTBOX_RETENTION_DAYS:/,
    );
  });
});

describe("agent configuration, every variable and where it lands", () => {
  it("checks every variable that is set, even for local commands", () => {
    expect(() => loadLocalConfig({ SYNC_BATCH_SIZE: "lots" })).toThrow(
      /^invalid agent configuration: SYNC_BATCH_SIZE:/,
    );
    expect(() => loadLocalConfig({ CENTRAL_API_URL: "central" })).toThrow(/CENTRAL_API_URL:/);
    expect(() => loadLocalConfig({ SYNC_ENABLED: "maybe" })).toThrow(/SYNC_ENABLED: must be true or false/);
    expect(() => loadLocalConfig({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL: must be one of/);
    expect(() => loadLocalConfig({ AGENT_HTTP_PORT: "70000" })).toThrow(/AGENT_HTTP_PORT: must be from 0 to 65535/);
  });

  it("says 'is required' for each missing central variable, empty counting as missing", () => {
    const err = () => loadAgentConfig({ CENTRAL_API_URL: "", TERMINAL_DATABASE_URL: "file:/tmp/x.db" });
    expect(err).toThrow(
      /: CENTRAL_API_URL: is required; CENTRAL_API_KEY: is required \(or CENTRAL_API_KEY_FILE\); TERMINAL_ID: is required$/,
    );
  });

  it("SYNC_ENABLED defaults to true and reads true/false/1/0", () => {
    expect(loadAgentConfig(good).SYNC_ENABLED).toBe(true);
    expect(loadAgentConfig({ ...good, SYNC_ENABLED: "false" }).SYNC_ENABLED).toBe(false);
    expect(loadAgentConfig({ ...good, SYNC_ENABLED: "0" }).SYNC_ENABLED).toBe(false);
  });

  it("resolves a relative TERMINAL_DATABASE_URL against the starting directory (INIT_CWD under npm)", () => {
    expect(loadLocalConfig({ TERMINAL_DATABASE_URL: "file:./t.db", INIT_CWD: "/srv/till" }).databasePath).toBe(
      "/srv/till/t.db",
    );
    expect(loadLocalConfig({ TERMINAL_DATABASE_URL: "file:t.db" }).databasePath).toBe(path.resolve("t.db"));
    expect(loadLocalConfig({ TERMINAL_DATABASE_URL: "file:/abs/t.db", INIT_CWD: "/srv" }).databasePath).toBe(
      "/abs/t.db",
    );
  });

  it("refuses plain http to another machine unless ALLOW_INSECURE_HTTP=true; loopback and https pass", () => {
    const remote = { ...good, CENTRAL_API_URL: "http://central.example:4000" };
    expect(() => loadAgentConfig(remote)).toThrow(ConfigError);
    expect(() => loadAgentConfig(remote)).toThrow(/^CENTRAL_API_URL: http:\/\/central.example:4000 is plain http/);
    expect(() => loadLocalConfig({ CENTRAL_API_URL: "http://10.0.0.5" })).toThrow(/ALLOW_INSECURE_HTTP=true/);
    expect(loadAgentConfig({ ...remote, ALLOW_INSECURE_HTTP: "true" }).CENTRAL_API_URL).toBe(remote.CENTRAL_API_URL);
    for (const url of [
      "http://localhost:4000",
      "http://127.0.0.1:4000",
      "http://[::1]:4000",
      "https://central.example",
    ])
      expect(loadAgentConfig({ ...good, CENTRAL_API_URL: url }).CENTRAL_API_URL).toBe(url);
  });
});

describe("CENTRAL_API_KEY_FILE", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "tillsync-keyfile-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const keyFile = (content: string, mode: number) => {
    const file = path.join(dir, "key");
    writeFileSync(file, content);
    chmodSync(file, mode);
    return file;
  };
  const { CENTRAL_API_KEY: _key, ...noKey } = good;

  it("reads the key from a file only its owner can read, trimming the newline", () => {
    const file = keyFile(`${good.CENTRAL_API_KEY}\n`, 0o600);
    expect(loadAgentConfig({ ...noKey, CENTRAL_API_KEY_FILE: file }).CENTRAL_API_KEY).toBe(good.CENTRAL_API_KEY);
    expect(
      loadAgentConfig({ ...noKey, CENTRAL_API_KEY_FILE: keyFile(good.CENTRAL_API_KEY, 0o640) }).CENTRAL_API_KEY,
    ).toBe(good.CENTRAL_API_KEY);
  });

  it("refuses a world-readable file, naming it", () => {
    const file = keyFile(good.CENTRAL_API_KEY, 0o644);
    expect(() => loadAgentConfig({ ...noKey, CENTRAL_API_KEY_FILE: file })).toThrow(
      new RegExp(
        `^CENTRAL_API_KEY_FILE: ${file} is readable by every user; run \`chmod 600 ${file}\``.replace(
          "every user",
          "every user on this machine",
        ),
      ),
    );
  });

  it("names a missing file, an empty one, a short key, and both ways set at once", () => {
    const missing = path.join(dir, "nope");
    expect(() => loadAgentConfig({ ...noKey, CENTRAL_API_KEY_FILE: missing })).toThrow(
      `CENTRAL_API_KEY_FILE: cannot read ${missing}: ENOENT`,
    );
    expect(() => loadAgentConfig({ ...noKey, CENTRAL_API_KEY_FILE: keyFile("\n", 0o600) })).toThrow(/is empty/);
    expect(() => loadAgentConfig({ ...noKey, CENTRAL_API_KEY_FILE: keyFile("short", 0o600) })).toThrow(
      /CENTRAL_API_KEY: must be the terminal key/,
    );
    const file = keyFile(good.CENTRAL_API_KEY, 0o600);
    expect(() => loadAgentConfig({ ...good, CENTRAL_API_KEY_FILE: file })).toThrow(/not both/);
  });
});

describe("unknown variables", () => {
  it("names each unknown SYNC_/CENTRAL_/TERMINAL_ variable with the closest known one", () => {
    expect(
      unknownVariables(
        { SYNC_INTERVALL: "5", CENTRAL_API_KY: "x", TERMINAL_DB: "x", SYNC_INTERVAL: "5", PATH: "/bin", HOME: "/" },
        AGENT_VARIABLES,
      ),
    ).toEqual([
      { name: "CENTRAL_API_KY", closest: "CENTRAL_API_KEY" },
      { name: "SYNC_INTERVALL", closest: "SYNC_INTERVAL" },
      { name: "TERMINAL_DB", closest: "TERMINAL_ID" },
    ]);
  });

  it("measures edit distance", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });
});

describe("agent configuration messages", () => {
  it("says 'is required' only for a missing variable, and why a present one is wrong", () => {
    expect(() => loadAgentConfig({ ...good, SYNC_INTERVAL: "soon" })).toThrow(/SYNC_INTERVAL: (?!is required)/);
    expect(() => loadAgentConfig({ ...good, SYNC_INTERVAL: "soon" })).not.toThrow(/is required/);
  });
});

/** Every tunable is a validated variable with its default beside the schema (config.ts). */
describe("agent tunables", () => {
  it("default to AGENT_DEFAULTS", () => {
    expect(loadAgentConfig(good)).toMatchObject({
      ...AGENT_DEFAULTS,
      SYNC_BREAKER_THRESHOLD: 5,
      SYNC_BREAKER_COOLDOWN_MS: 300_000,
      SYNC_BACKOFF_BASE_MS: 1_000,
      SYNC_BACKOFF_CAP_MS: 60_000,
      SYNC_WATCH_MS: 10,
      SYNC_CONNECT_TIMEOUT_MS: 10_000,
      SYNC_READ_TIMEOUT_MS: 20_000,
      HEARTBEAT_INTERVAL_MS: 30_000,
      OUTBOX_CLEANUP_HOUR: 3,
    });
  });

  it.each([
    ["SYNC_BREAKER_THRESHOLD", "0"],
    ["SYNC_BREAKER_COOLDOWN_MS", "five minutes"],
    ["SYNC_BACKOFF_BASE_MS", "-1"],
    ["SYNC_WATCH_MS", "1.5"],
    ["SYNC_PULL_PAGE_SIZE", "5001"],
    ["SYNC_READ_TIMEOUT_MS", "soon"],
    ["HEARTBEAT_INTERVAL_MS", "0"],
    ["OUTBOX_CLEANUP_HOUR", "24"],
  ])("names the bad variable %s", (name, value) => {
    expect(() => loadAgentConfig({ ...good, [name]: value })).toThrow(
      new RegExp(`^invalid agent configuration: ${name}:`),
    );
  });
});

/** A central that never answers: every call fails as unreachable, and the calls are recorded. */
class RecordingTransport implements CentralTransport {
  pulls: number[] = [];
  constructor(private readonly answer: (changes: PushChange[]) => PushResult[] | undefined = () => undefined) {}
  async push(changes: PushChange[]): Promise<PushResult[]> {
    const r = this.answer(changes);
    if (!r) throw new CentralUnreachableError("cannot reach central; will retry");
    return r;
  }
  async pull(_since: FeedCursor, limit: number): Promise<PullResponse> {
    this.pulls.push(limit);
    return { changes: [], nextCursor: START_CURSOR, hasMore: false } as unknown as PullResponse;
  }
  async acknowledge(): Promise<void> {}
  async heartbeat(): Promise<void> {}
}

/** The variables reach the parts they tune (daemon/from-config.ts), not just the parsed object. */
describe("tunables reach the engine and the transport", () => {
  let dir: string;
  const agents: Agent[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-tunables-"));
  });

  afterEach(async () => {
    for (const a of agents.splice(0)) await a.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const agentWith = (env: Record<string, string>, transport: CentralTransport) => {
    const config = loadAgentConfig({ ...good, TERMINAL_DATABASE_URL: `file:${path.join(dir, "t.db")}`, ...env });
    const agent = createAgent(config, transport);
    agents.push(agent);
    return agent;
  };

  const sellOne = (agent: Agent) =>
    agent.db
      .prepare(`INSERT INTO sale_orders (id, store_id, status) VALUES (lower(hex(randomblob(16))), 'store', 'PENDING')`)
      .run();

  it("opens the circuit after SYNC_BREAKER_THRESHOLD failures, with SYNC_BREAKER_COOLDOWN_MS as the cool-down's cap", async () => {
    const env = {
      SYNC_BREAKER_THRESHOLD: "2",
      SYNC_BREAKER_COOLDOWN_MS: "45000",
      SYNC_BACKOFF_BASE_MS: "7",
      SYNC_BACKOFF_CAP_MS: "7",
    };
    const agent = agentWith(env, new RecordingTransport());
    sellOne(agent);
    await agent.engine.runCycle();
    const first = agent.engine.current;
    expect(first.kind).toBe("backing-off");
    // Full jitter over min(cap, base·2): at most 7 ms away.
    expect((first as { retryAt: number }).retryAt - Date.now()).toBeLessThanOrEqual(7);
    // The same machine options, driven on their own clock past the breaker's window.
    const machine = engineOptionsFromConfig(loadAgentConfig({ ...good, ...env })).machine;
    let s: SyncState = { kind: "backing-off", failures: 1, retryAt: 0, streak: { since: 0, opens: 0 } };
    const fail = (now: number) => {
      s = transition(transition(s, { type: "RETRY", now }, machine), { type: "FAILED", now }, machine);
      return s as { kind: string; failures: number; retryAt: number };
    };
    const open = fail(BREAKER_DEFAULTS.windowMs);
    expect(open).toMatchObject({ kind: "circuit-open", failures: 2 });
    expect(open.retryAt).toBe(BREAKER_DEFAULTS.windowMs + BREAKER_DEFAULTS.firstCooldownMs);
    let reopened = open;
    for (let i = 0; i < 5; i++) reopened = fail(reopened.retryAt);
    const previous = reopened.retryAt;
    expect(fail(previous).retryAt - previous).toBe(45_000);
  });

  it("pulls pages of SYNC_PULL_PAGE_SIZE rows", async () => {
    const transport = new RecordingTransport();
    const agent = agentWith({ SYNC_PULL_PAGE_SIZE: "123" }, transport);
    await agent.engine.runCycle();
    expect(transport.pulls).toEqual([123]);
  });

  it("waits SYNC_REJECT_BACKOFF_BASE_MS before retrying a change central rejected", async () => {
    const rejectAll = (changes: PushChange[]): PushResult[] =>
      changes.map((c) => ({ changeId: c.changeId, status: "REJECTED", reason: "no parent yet", retryable: true }));
    const agent = agentWith({ SYNC_REJECT_BACKOFF_BASE_MS: "60000" }, new RecordingTransport(rejectAll));
    sellOne(agent);
    await agent.engine.runCycle();
    const row = agent.db.prepare(`SELECT status, attempts, next_attempt_at FROM outbox`).get() as {
      status: string;
      attempts: number;
      next_attempt_at: string;
    };
    expect(row).toMatchObject({ status: "PENDING", attempts: 1 });
    const waitS = (Date.parse(row.next_attempt_at) - Date.now()) / 1000;
    expect(waitS).toBeGreaterThan(50);
    expect(waitS).toBeLessThanOrEqual(60);
  });

  it("gives up on a silent central after SYNC_READ_TIMEOUT_MS", async () => {
    const open = new Set<http.ServerResponse>();
    const server = http.createServer((_req, res) => void open.add(res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const config = loadAgentConfig({
        ...good,
        CENTRAL_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        SYNC_READ_TIMEOUT_MS: "150",
      });
      await expect(transportFromConfig(config).pull(START_CURSOR, 10)).rejects.toThrow(/sent nothing for 150 ms/);
    } finally {
      for (const res of open) res.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

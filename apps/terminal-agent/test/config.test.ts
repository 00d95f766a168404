import { ConfigError } from "@tillsync/shared";
import { loadAgentConfig, loadLocalConfig } from "../src/config";

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
      databasePath: "./data/terminal.db",
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
    expect(loadLocalConfig({ TERMINAL_DATABASE_URL: "file:/var/lib/till.db" })).toEqual({
      TERMINAL_DATABASE_URL: "file:/var/lib/till.db",
      SYNC_INTERVAL: 300,
      OUTBOX_RETENTION_DAYS: 7,
      databasePath: "/var/lib/till.db",
    });
    expect(() => loadLocalConfig({ OUTBOX_RETENTION_DAYS: "a week" })).toThrow(
      /^invalid agent configuration: OUTBOX_RETENTION_DAYS:/,
    );
  });
});

describe("agent configuration messages", () => {
  it("says 'is required' only for a missing variable, and why a present one is wrong", () => {
    expect(() => loadAgentConfig({ ...good, SYNC_INTERVAL: "soon" })).toThrow(/SYNC_INTERVAL: (?!is required)/);
    expect(() => loadAgentConfig({ ...good, SYNC_INTERVAL: "soon" })).not.toThrow(/is required/);
  });
});

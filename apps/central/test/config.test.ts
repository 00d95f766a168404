import { ConfigError } from "@tillsync/shared";
import { CENTRAL_DEFAULTS, HUB_DEFAULTS, loadCentralConfig } from "../src/config";

const good = { ADMIN_TOKEN: "a-long-enough-admin-token" };

describe("central configuration", () => {
  it("applies SPEC defaults", () => {
    expect(loadCentralConfig(good)).toMatchObject({
      PORT: 4000,
      HEARTBEAT_TIMEOUT_S: 90,
      REDIS_URL: "redis://127.0.0.1:6379",
      SYNC_POLICY_OVERRIDES: {},
    });
  });

  it.each([
    ["ADMIN_TOKEN", "short"],
    ["PORT", "eighty"],
    ["DATABASE_URL", "mysql://x"],
    ["REDIS_URL", "localhost:6379"],
    ["HEARTBEAT_TIMEOUT_S", "1"],
    ["HISTORY_RETENTION_DAYS", "0"],
    ["FEED_RETENTION_DAYS", "0"],
    ["APPLIED_CHANGES_RETENTION_DAYS", "3"],
    ["CONFLICT_RETENTION_DAYS", "-1"],
    ["DATABASE_POOL_SIZE", "none"],
    ["SYNC_POLICY_OVERRIDES", "{not json"],
    ["SYNC_POLICY_OVERRIDES", '{"products":{"strategy":"LOUDEST_WINS"}}'],
    ["SYNC_POLICY_OVERRIDES", '{"widgets":{"strategy":"CENTRAL_WINS"}}'],
    ["DEFAULT_SCHEDULE", "every six hours"],
    ["DEFAULT_SCHEDULE", "no"],
    ["ALERT_WEBHOOK_URL", "hooks.example.com/alerts"],
    ["ALERT_WEBHOOK_SECRET", "short"],
    ["ALERT_BACKLOG_PENDING", "lots"],
    ["ALERT_BACKLOG_FAILED", "-1"],
  ])("names the bad variable %s (%s)", (name, value) => {
    const load = () => loadCentralConfig({ ...good, [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^invalid central configuration: ${name}`));
  });

  it("needs ALERT_WEBHOOK_SECRET with ALERT_WEBHOOK_URL, and feeds the backlog thresholds to the hub", () => {
    const load = () => loadCentralConfig({ ...good, ALERT_WEBHOOK_URL: "https://hooks.example.com/a" });
    expect(load).toThrow(
      /^invalid central configuration: ALERT_WEBHOOK_SECRET: is required when ALERT_WEBHOOK_URL is set/,
    );
    const c = loadCentralConfig({
      ...good,
      ALERT_WEBHOOK_URL: "https://hooks.example.com/a",
      ALERT_WEBHOOK_SECRET: "a-secret-of-sixteen+",
      ALERT_BACKLOG_PENDING: "250",
      ALERT_BACKLOG_FAILED: "0",
    });
    expect(c.hub).toMatchObject({ backlogAlertPending: 250, backlogAlertFailed: 0 });
    expect(loadCentralConfig(good).hub).toMatchObject({ backlogAlertPending: 100, backlogAlertFailed: 5 });
  });

  it("creates the default schedule every six hours unless DEFAULT_SCHEDULE says off or another cron", () => {
    expect(loadCentralConfig(good).DEFAULT_SCHEDULE).toBe("0 */6 * * *");
    expect(loadCentralConfig({ ...good, DEFAULT_SCHEDULE: "off" }).DEFAULT_SCHEDULE).toBe("off");
    expect(loadCentralConfig({ ...good, DEFAULT_SCHEDULE: "30 2 * * *" }).DEFAULT_SCHEDULE).toBe("30 2 * * *");
  });

  it("refuses applied_changes kept shorter than the feed's retention, naming the variable", () => {
    const load = () => loadCentralConfig({ ...good, FEED_RETENTION_DAYS: "60", APPLIED_CHANGES_RETENTION_DAYS: "45" });
    expect(load).toThrow(
      /^invalid central configuration: APPLIED_CHANGES_RETENTION_DAYS: must be at least FEED_RETENTION_DAYS/,
    );
    expect(loadCentralConfig(good)).toMatchObject({
      FEED_RETENTION_DAYS: 30,
      APPLIED_CHANGES_RETENTION_DAYS: 90,
      CONFLICT_RETENTION_DAYS: 180,
    });
  });

  it("has retention and pool size variables with documented defaults, and the hub's tunables beside them", () => {
    const c = loadCentralConfig(good);
    expect(c).toMatchObject({ HISTORY_RETENTION_DAYS: 30, DATABASE_POOL_SIZE: 10 });
    expect(c.HISTORY_RETENTION_DAYS).toBe(CENTRAL_DEFAULTS.HISTORY_RETENTION_DAYS);
    expect(c.hub).toEqual(HUB_DEFAULTS);
    expect(c.hub).not.toBe(HUB_DEFAULTS); // a copy: one instance's overrides never leak into another's
    expect(loadCentralConfig({ ...good, HISTORY_RETENTION_DAYS: "7", DATABASE_POOL_SIZE: "25" })).toMatchObject({
      HISTORY_RETENTION_DAYS: 7,
      DATABASE_POOL_SIZE: 25,
    });
  });

  it("names a missing ADMIN_TOKEN", () => {
    expect(() => loadCentralConfig({})).toThrow(/ADMIN_TOKEN: is required/);
  });

  it("parses a strategy override", () => {
    const c = loadCentralConfig({ ...good, SYNC_POLICY_OVERRIDES: '{"customers":{"strategy":"MANUAL_MERGE"}}' });
    expect(c.SYNC_POLICY_OVERRIDES).toEqual({ customers: { strategy: "MANUAL_MERGE" } });
  });
});

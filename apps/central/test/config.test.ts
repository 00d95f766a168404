import { ConfigError } from "@tillsync/shared";
import { loadCentralConfig } from "../src/config";

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
    ["SYNC_POLICY_OVERRIDES", "{not json"],
    ["SYNC_POLICY_OVERRIDES", '{"products":{"strategy":"LOUDEST_WINS"}}'],
    ["SYNC_POLICY_OVERRIDES", '{"widgets":{"strategy":"CENTRAL_WINS"}}'],
  ])("names the bad variable %s (%s)", (name, value) => {
    const load = () => loadCentralConfig({ ...good, [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^invalid central configuration: ${name}`));
  });

  it("names a missing ADMIN_TOKEN", () => {
    expect(() => loadCentralConfig({})).toThrow(/ADMIN_TOKEN: is required/);
  });

  it("parses a strategy override", () => {
    const c = loadCentralConfig({ ...good, SYNC_POLICY_OVERRIDES: '{"customers":{"strategy":"MANUAL_MERGE"}}' });
    expect(c.SYNC_POLICY_OVERRIDES).toEqual({ customers: { strategy: "MANUAL_MERGE" } });
  });
});

import { startTestCentral } from "../testing";
import { listRedisKeys, waitFor } from "@tillsync/testkit";

describe("startTestCentral's teardown", () => {
  it("leaves no Redis key under the central's prefix (queues, triggers, schedules)", async () => {
    const central = await startTestCentral("teardown");
    const prefix = central.redisPrefix;
    try {
      const { terminalId } = await central.provisionTerminal();
      // A pending trigger, a schedule and the queues' own keys: the kinds a test run leaves.
      expect((await central.admin("POST", "/api/sync/all", { terminalId })).status).toBeLessThan(300);
      expect((await central.admin("POST", "/api/sync/schedules", { action: "create", cron: "0 3 * * *" })).status).toBe(
        201,
      );
      await waitFor(async () => (await listRedisKeys(prefix, { withoutExpiry: true })).length > 5, {
        what: "central to write its keys",
      });
    } finally {
      await central.stop();
    }
    expect(await listRedisKeys(prefix)).toEqual([]);
  });
});

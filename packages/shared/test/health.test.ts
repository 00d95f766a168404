import { DEFAULT_HEALTH_LIMITS, healthColour, type HealthFacts, type HubHealthColour } from "../src";

const healthy: HealthFacts = {
  disabled: false,
  emergencyStop: false,
  paused: false,
  agentState: "idle",
  consecutiveFailures: 0,
  failedChanges: 0,
  lastSyncAgeMs: 1_000,
  online: true,
};

/** The one colour rule both the agent's `status` and central's terminal list use (SPEC §4). */
describe("healthColour", () => {
  const cases: [string, Partial<HealthFacts>, HubHealthColour][] = [
    ["a recent clean sync", {}, "green"],
    ["disabled, whatever else", { disabled: true, emergencyStop: true, agentState: "circuit-open" }, "gray"],
    ["never synced", { lastSyncAgeMs: null }, "gray"],
    ["never synced and offline", { lastSyncAgeMs: null, online: false }, "gray"],
    ["never synced but retrying", { lastSyncAgeMs: null, agentState: "backing-off" }, "yellow"],
    ["never synced but paused", { lastSyncAgeMs: null, paused: true }, "yellow"],
    ["emergency stop", { emergencyStop: true }, "red"],
    ["circuit open", { agentState: "circuit-open" }, "red"],
    ["upgrade required, the agent holding", { upgradeRequired: true, agentState: "paused", paused: true }, "red"],
    ["three failures in a row", { consecutiveFailures: 3, agentState: "pushing" }, "red"],
    ["one failure", { consecutiveFailures: 1 }, "yellow"],
    ["more FAILED changes than the limit", { failedChanges: DEFAULT_HEALTH_LIMITS.failedAlert + 1 }, "red"],
    ["FAILED changes at the limit", { failedChanges: DEFAULT_HEALTH_LIMITS.failedAlert }, "green"],
    ["paused", { paused: true }, "yellow"],
    ["agent reports paused", { agentState: "paused" }, "yellow"],
    ["offline", { online: false }, "yellow"],
    ["delayed", { lastSyncAgeMs: DEFAULT_HEALTH_LIMITS.delayedAfterMs + 1 }, "yellow"],
    ["delayed but reporting itself syncing", { lastSyncAgeMs: 10 ** 9, reportsSyncing: true }, "green"],
  ];
  it.each(cases)("%s", (_what, facts, colour) => {
    expect(healthColour({ ...healthy, ...facts })).toBe(colour);
  });

  it("takes the caller's limits", () => {
    expect(healthColour({ ...healthy, lastSyncAgeMs: 5_000 }, { failedAlert: 5, delayedAfterMs: 4_000 })).toBe(
      "yellow",
    );
    expect(healthColour({ ...healthy, failedChanges: 2 }, { failedAlert: 1, delayedAfterMs: 4_000 })).toBe("red");
  });
});

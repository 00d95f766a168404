import { Priority, priorityBand } from "@tillsync/shared";
import { SyncEngine } from "../src/sync/sync-engine";

/** Which bands each interval cycle pushes (SPEC §2): HIGH every cycle, MEDIUM every 2nd, LOW every 5th. */
describe("priority bands per interval cycle", () => {
  const bandsIn = (n: number) => {
    const min = SyncEngine.minPriorityForCycle(n);
    return new Set([10, 9, 8, 7, 6, 5, 4, 3, 1].filter((p) => p >= min).map(priorityBand));
  };

  it("pushes HIGH in every cycle, MEDIUM every 2nd, LOW every 5th, BACKGROUND never on the interval", () => {
    const counts = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, BACKGROUND: 0 };
    for (let n = 1; n <= 10; n++) for (const b of bandsIn(n)) counts[b]++;
    expect(counts).toEqual({ CRITICAL: 10, HIGH: 10, MEDIUM: 6, LOW: 2, BACKGROUND: 0 });
    expect(SyncEngine.minPriorityForCycle(1)).toBe(Priority.HIGH);
    expect(SyncEngine.minPriorityForCycle(2)).toBe(Priority.MEDIUM);
    expect(SyncEngine.minPriorityForCycle(5)).toBe(Priority.LOW);
  });
});

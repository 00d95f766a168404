import type { SyncStatusResponse } from "@tillsync/shared";
import { overviewFigures } from "../src/logic/overview";
import { terminal, terminalList } from "./fixtures";

describe("overview figures", () => {
  const list = terminalList([
    terminal({ name: "A", health: "green", outbox: { pending: 2, failed: 0, synced: 9, conflicts: 0 } }),
    terminal({
      name: "B",
      health: "yellow",
      status: "OFFLINE",
      lag: 40,
      lagSeconds: 300,
      outbox: { pending: 10, failed: 1, synced: 0, conflicts: 2 },
    }),
    terminal({
      name: "C",
      health: "red",
      lag: 40,
      lagSeconds: 900,
      outbox: { pending: 0, failed: 7, synced: 0, conflicts: 0 },
    }),
    terminal({
      name: "D",
      health: "gray",
      status: "DISABLED",
      lag: 5000,
      outbox: { pending: 99, failed: 99, synced: 0, conflicts: 99 },
    }),
  ]);

  it("counts terminals per colour and per connection state", () => {
    const f = overviewFigures(list);
    expect(f.byHealth).toEqual({ green: 1, yellow: 1, red: 1, gray: 1 });
    expect([f.total, f.online, f.offline, f.disabled]).toEqual([4, 2, 1, 1]);
    expect(f.feedHead).toBe("42");
  });

  it("sums the enabled terminals' outboxes when no status is at hand", () => {
    expect(overviewFigures(list).totals).toEqual({ pending: 12, failed: 8, conflicts: 2 });
  });

  it("prefers central's status totals (they include central's pending conflicts)", () => {
    const status = {
      terminalId: null,
      tables: {},
      totals: { pending: 12, failed: 8, synced: 9, conflicts: 5 },
      summary: {
        totalTables: 0,
        tablesWithPending: 0,
        tablesWithFailed: 0,
        tablesWithSynced: 0,
        tablesWithConflicts: 0,
      },
    } as SyncStatusResponse;
    expect(overviewFigures(list, status).totals).toEqual({ pending: 12, failed: 8, conflicts: 5 });
  });

  it("names the slowest enabled terminal: most changes behind, then oldest", () => {
    expect(overviewFigures(list).slowest?.name).toBe("C");
  });

  it("has no slowest terminal when every one is caught up", () => {
    expect(overviewFigures(terminalList([terminal(), terminal({ lag: 0, lagSeconds: 0 })])).slowest).toBeNull();
    expect(overviewFigures(terminalList([])).total).toBe(0);
  });
});

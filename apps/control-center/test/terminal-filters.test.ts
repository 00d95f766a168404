import { storeOptions, viewTerminals } from "../src/logic/terminal-filters";
import { STORE_A, STORE_B, terminal } from "./fixtures";

describe("terminal table filters and sort", () => {
  const a = terminal({ name: "Till 10", storeId: STORE_A, health: "green", lag: 5, lagSeconds: 30 });
  const b = terminal({ name: "Till 2", storeId: STORE_B, health: "red", lag: 120, lagSeconds: 600 });
  const c = terminal({ name: "Till 1", storeId: STORE_A, health: "yellow", lag: 5, lagSeconds: 90 });
  const d = terminal({ name: "Till 3", storeId: STORE_B, health: "gray", lag: 0 });
  const all = [a, b, c, d];

  it("sorts by lag, most behind first; equal change counts by seconds, then by name", () => {
    expect(viewTerminals(all, { store: null, health: "all", sort: "lag" }).map((t) => t.name)).toEqual([
      "Till 2",
      "Till 1",
      "Till 10",
      "Till 3",
    ]);
  });

  it("sorts by name naturally (Till 2 before Till 10)", () => {
    expect(viewTerminals(all, { store: null, health: "all", sort: "name" }).map((t) => t.name)).toEqual([
      "Till 1",
      "Till 2",
      "Till 3",
      "Till 10",
    ]);
  });

  it("filters by store and by colour, together", () => {
    expect(viewTerminals(all, { store: STORE_A, health: "all", sort: "name" }).map((t) => t.name)).toEqual([
      "Till 1",
      "Till 10",
    ]);
    expect(viewTerminals(all, { store: STORE_B, health: "red", sort: "lag" })).toEqual([b]);
    expect(viewTerminals(all, { store: STORE_A, health: "red", sort: "lag" })).toEqual([]);
  });

  it("does not reorder the list it was given", () => {
    viewTerminals(all, { store: null, health: "all", sort: "name" });
    expect(all).toEqual([a, b, c, d]);
  });

  it("offers every known store by name, plus stores only a terminal names", () => {
    const orphan = terminal({ storeId: "eeeeeeee-0000-4000-8000-000000000009", storeName: "Depot" });
    expect(
      storeOptions(
        [a, orphan],
        [
          { id: STORE_A, name: "High Street" },
          { id: STORE_B, name: "Airport" },
        ],
      ),
    ).toEqual([
      { id: STORE_B, label: "Airport" },
      { id: "eeeeeeee-0000-4000-8000-000000000009", label: "Depot" },
      { id: STORE_A, label: "High Street" },
    ]);
  });
});

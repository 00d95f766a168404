import { changedFieldCount, fieldDiff } from "../src/logic/field-diff";
import { conflict } from "./fixtures";

describe("field-by-field diff of a conflict", () => {
  it("marks the fields the two sides disagree on, in the table's column order", () => {
    const c = conflict();
    const rows = fieldDiff(c.entityType, c.centralData, c.terminalData);
    expect(rows.map((r) => [r.field, r.kind])).toEqual([
      ["id", "same"],
      ["sku", "same"],
      ["name", "changed"],
      ["price_cents", "changed"],
      ["tax_rate_bp", "same"],
      ["active", "changed"], // 1 from SQLite against true: shown, not hidden, so the operator sees the raw sides
      ["version", "changed"],
    ]);
    expect(rows.find((r) => r.field === "price_cents")).toMatchObject({ central: 249, terminal: 199 });
    expect(changedFieldCount(rows)).toBe(4);
  });

  it("lists fields present on one side only, undeclared ones last and sorted", () => {
    const rows = fieldDiff("customers", { id: "x", name: "Ann", zeta: 1 }, { id: "x", email: "a@b.c", alpha: 2 });
    expect(rows.map((r) => [r.field, r.kind])).toEqual([
      ["id", "same"],
      ["name", "only-central"],
      ["email", "only-terminal"],
      ["alpha", "only-terminal"],
      ["zeta", "only-central"],
    ]);
  });

  it("treats a missing row as absent on that side (terminal deleted it; central had none)", () => {
    expect(fieldDiff("brands", { id: "x", name: "B" }, null).map((r) => r.kind)).toEqual([
      "only-central",
      "only-central",
    ]);
    expect(fieldDiff("brands", null, { id: "x", name: "B" }).map((r) => r.kind)).toEqual([
      "only-terminal",
      "only-terminal",
    ]);
  });

  it("compares nested values by content, not key order, and tells null from absent", () => {
    const [row] = fieldDiff("unknown_table", { a: { x: 1, y: 2 } }, { a: { y: 2, x: 1 } });
    expect(row?.kind).toBe("same");
    const [n] = fieldDiff("customers", { email: null }, { email: "" });
    expect(n?.kind).toBe("changed");
  });

  it("carries the resolved row's values when there is one", () => {
    const c = conflict();
    const rows = fieldDiff(c.entityType, c.centralData, c.terminalData, { ...c.centralData, price_cents: 225 });
    expect(rows.find((r) => r.field === "price_cents")?.resolved).toBe(225);
    expect(fieldDiff(c.entityType, c.centralData, c.terminalData)[0]).not.toHaveProperty("resolved");
  });
});

import { checkResolution, draftFromRow, fieldValue, rowFromDraft } from "../src/logic/resolve-form";
import { conflict } from "./fixtures";

describe("resolve form of a MANUAL_MERGE conflict", () => {
  it("keeps central's row with no row check", () => {
    const c = conflict();
    expect(checkResolution(c, "KEEP_CENTRAL", null, "  price list wins ")).toEqual({
      ok: true,
      request: { conflictId: c.id, resolution: "KEEP_CENTRAL", reason: "price list wins" },
    });
  });

  it("takes the terminal's row when it passes the table's row schema", () => {
    const c = conflict();
    expect(checkResolution(c, "TAKE_TERMINAL", null, "")).toEqual({
      ok: true,
      request: { conflictId: c.id, resolution: "TAKE_TERMINAL" },
    });
  });

  it("refuses to take a terminal row the schema rejects, naming the field", () => {
    const c = conflict({ terminalData: { id: "x", sku: "S", name: "N", price_cents: "cheap" } });
    const r = checkResolution(c, "TAKE_TERMINAL", null, "");
    expect(r).toMatchObject({ ok: false, fieldErrors: { price_cents: expect.stringMatching(/whole number/) } });
    expect(r.ok === false && r.message).toMatch(/^The terminal's row does not fit products: price_cents/);
  });

  it("sends an edited row as CUSTOM with typed values, id from the conflict, version never", () => {
    const c = conflict();
    const draft = { ...draftFromRow("products", c.centralData), price_cents: " 225 ", version: "99", id: "other" };
    const r = checkResolution(c, "CUSTOM", draft, "agreed with store");
    expect(r.ok).toBe(true);
    const body = r.ok ? r.request : null;
    expect(body).toMatchObject({ conflictId: c.id, resolution: "CUSTOM", reason: "agreed with store" });
    expect(body?.resolvedData).toMatchObject({ id: c.entityId, price_cents: 225, active: true, name: "Cola 0.5l" });
    expect(body?.resolvedData).not.toHaveProperty("version");
  });

  it("catches a mistyped price and a missing required field before sending", () => {
    const c = conflict();
    const draft = { ...draftFromRow("products", c.centralData), price_cents: "2,49", sku: "" };
    const r = checkResolution(c, "CUSTOM", draft, "");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.fieldErrors).toEqual({ price_cents: "must be a whole number (no decimals or separators)" });
    // sku is text: "" is a string and passes the row schema; a missing column does not.
    const missing = checkResolution(c, "CUSTOM", { name: "x", sku: "s" }, "");
    expect(missing).toMatchObject({ ok: false, fieldErrors: { price_cents: "is required" } });
  });

  it("turns blank optional fields into null and keeps checkbox states", () => {
    const cols = { id: { name: "category_id", type: { kind: "uuid" }, optional: true } } as const;
    expect(fieldValue(cols.id, "  ")).toBeNull();
    expect(fieldValue({ name: "sku", type: { kind: "text" } }, " a ")).toBe(" a ");
    expect(fieldValue({ name: "n", type: { kind: "int" } }, "-7")).toBe(-7);
    expect(fieldValue({ name: "n", type: { kind: "int" } }, "7.5")).toBe("7.5");
    expect(fieldValue({ name: "b", type: { kind: "bool" } }, false)).toBe(false);
    expect(rowFromDraft("brands", { id: "ignored", name: "Acme", version: "3" }, "b-id")).toEqual({
      name: "Acme",
      id: "b-id",
    });
  });

  it("starts the draft from a row: SQLite's 0/1 as a checkbox, null as blank", () => {
    expect(draftFromRow("products", { active: 0, category_id: null, price_cents: 5 })).toMatchObject({
      active: false,
      category_id: "",
      price_cents: "5",
    });
  });

  it("does nothing for a conflict that is no longer pending", () => {
    const r = checkResolution(conflict({ status: "RESOLVED" }), "KEEP_CENTRAL", null, "");
    expect(r).toEqual({ ok: false, message: "This conflict is already RESOLVED.", fieldErrors: {} });
  });
});

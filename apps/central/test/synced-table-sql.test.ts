import { DEFAULT_SYNC_POLICY, type TablePolicy } from "@tillsync/shared";
import { appendSql, columnsOf, insertSql, unnestSource, upsertSql } from "../src/store/synced-table-sql";
import { giftCards, movements } from "./support/gift-card-policy";

/** The push's write statements as generated from the policy, checked as text. */

const oneLine = (sql: string) => sql.replace(/\s+/g, " ").trim();

const adjustments = DEFAULT_SYNC_POLICY.inventory_adjustments;
const stock = DEFAULT_SYNC_POLICY.inventory_items;

describe("the ledger append generated from the policy's LedgerRule", () => {
  it("stock: appends adjustments once by id and adds their deltas to inventory_items.quantity per store and product", () => {
    const cols = columnsOf(adjustments, ["id", "store_id", "product_id", "delta", "reason"]);
    const src = unnestSource(cols, []);
    expect(oneLine(appendSql(adjustments, stock, cols, src.sql, "$9"))).toBe(
      oneLine(`WITH ins AS (
         INSERT INTO inventory_adjustments AS t (id, store_id, product_id, delta, reason)
           SELECT u.id, u.store_id, u.product_id, u.delta, u.reason::adjustment_reason
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int4[], $5::text[]) AS u(id, store_id, product_id, delta, reason)
         ON CONFLICT (id) DO NOTHING
         RETURNING id, store_id, product_id, delta
       ), counter AS (
         INSERT INTO inventory_items (store_id, product_id, quantity)
         SELECT store_id, product_id, sum(delta)::int FROM ins GROUP BY store_id, product_id
         ORDER BY store_id, product_id
         ON CONFLICT (store_id, product_id) DO UPDATE
           SET quantity = inventory_items.quantity + excluded.quantity,
               version = inventory_items.version + 1,
               updated_at = now()
       )
       SELECT count(*)::int AS n,
              CASE WHEN count(*) = $9::int THEN NULL ELSE coalesce(array_agg(ins.id), '{}') END AS ids,
              NULL::int4[] AS versions
         FROM ins`),
    );
  });

  it("a fictitious ledger: its own tables, key and columns, and no updated_at where the counter has none", () => {
    const cols = columnsOf(movements, ["id", "card_id", "amount_cents"]);
    const sql = oneLine(appendSql(movements, giftCards, cols, "SELECT * FROM src", "$9"));
    expect(sql).toBe(
      oneLine(`WITH ins AS (
         INSERT INTO gift_card_movements AS t (id, card_id, amount_cents) SELECT * FROM src
         ON CONFLICT (id) DO NOTHING
         RETURNING id, card_id, amount_cents
       ), counter AS (
         INSERT INTO gift_cards (id, balance_cents)
         SELECT card_id, sum(amount_cents)::int FROM ins GROUP BY card_id
         ORDER BY card_id
         ON CONFLICT (id) DO UPDATE
           SET balance_cents = gift_cards.balance_cents + excluded.balance_cents,
               version = gift_cards.version + 1
       )
       SELECT count(*)::int AS n,
              CASE WHEN count(*) = $9::int THEN NULL ELSE coalesce(array_agg(ins.id), '{}') END AS ids,
              NULL::int4[] AS versions
         FROM ins`),
    );
  });

  it("an append-only table without a ledger only appends", () => {
    const plain = { ...movements, ledger: undefined } as TablePolicy;
    const cols = columnsOf(plain, ["id", "amount_cents"]);
    expect(oneLine(appendSql(plain, undefined, cols, "SELECT * FROM src", "$9"))).toBe(
      oneLine(`WITH ins AS (
         INSERT INTO gift_card_movements AS t (id, amount_cents) SELECT * FROM src ON CONFLICT (id) DO NOTHING
         RETURNING id
       )
       SELECT count(*)::int AS n,
              CASE WHEN count(*) = $9::int THEN NULL ELSE coalesce(array_agg(ins.id), '{}') END AS ids,
              NULL::int4[] AS versions
         FROM ins`),
    );
  });

  it("refuses a counter table other than the rule's, and a name that is not a plain SQL name", () => {
    const cols = columnsOf(movements, ["id"]);
    expect(() => appendSql(movements, stock, cols, "", "$1")).toThrow(/ledger of gift_cards/);
    expect(() => appendSql(movements, undefined, cols, "", "$1")).toThrow(/ledger of gift_cards/);
    const hostile = { ...movements, table: "x; DROP TABLE stores" } as unknown as TablePolicy;
    expect(() => appendSql(hostile, giftCards, cols, "", "$1")).toThrow(/not a plain SQL name/);
  });
});

describe("the upsert generated from the policy", () => {
  it("sets updated_at only where central's copy has one (centralUpdatedAt)", () => {
    const products = DEFAULT_SYNC_POLICY.products;
    const orders = DEFAULT_SYNC_POLICY.sale_orders;
    const withUpdatedAt = oneLine(upsertSql(products, columnsOf(products, ["id", "name"]), "SRC"));
    expect(withUpdatedAt).toBe(
      "INSERT INTO products AS t (id, name) SRC ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = t.version + 1, updated_at = now() RETURNING id, version",
    );
    expect(oneLine(upsertSql(orders, columnsOf(orders, ["id", "status"]), "SRC"))).toBe(
      "INSERT INTO sale_orders AS t (id, status) SRC ON CONFLICT (id) DO UPDATE SET status = excluded.status, version = t.version + 1 RETURNING id, version",
    );
  });

  it("inserts only new ids for the push's insert-first path, answering in one row what it inserted", () => {
    const orders = DEFAULT_SYNC_POLICY.sale_orders;
    const all = "count(*) = $3::int AND coalesce(bool_and(ins.version = 1), true)";
    expect(oneLine(insertSql(orders, columnsOf(orders, ["id", "status"]), "SRC", "$3"))).toBe(
      oneLine(`WITH ins AS (
         INSERT INTO sale_orders AS t (id, status) SRC ON CONFLICT (id) DO NOTHING RETURNING id, version
       )
       SELECT count(*)::int AS n,
              CASE WHEN ${all} THEN NULL ELSE coalesce(array_agg(ins.id), '{}') END AS ids,
              CASE WHEN ${all} THEN NULL ELSE coalesce(array_agg(ins.version), '{}') END AS versions
         FROM ins`),
    );
  });

  it("reads rows from typed arrays (as array literals), casting enums to their PostgreSQL type", () => {
    const orders = DEFAULT_SYNC_POLICY.sale_orders;
    const src = unnestSource(columnsOf(orders, ["id", "status"]), [{ id: "a", status: "PENDING" }, { id: "b" }]);
    expect(src.sql).toBe(
      "SELECT u.id, u.status::sale_order_status FROM unnest($1::uuid[], $2::text[]) AS u(id, status)",
    );
    expect(src.params).toEqual(["{a,b}", "{PENDING,NULL}"]);
  });

  it("passes a column other than the id that holds one value in every row as one scalar", () => {
    const orders = DEFAULT_SYNC_POLICY.sale_orders;
    const cols = columnsOf(orders, ["id", "store_id", "status", "total_cents"]);
    const rows = [
      { id: "a", store_id: "s", status: "COMPLETED", total_cents: 1 },
      { id: "b", store_id: "s", status: "COMPLETED", total_cents: 2 },
    ];
    const src = unnestSource(cols, rows);
    expect(src.sql).toBe(
      "SELECT u.id, $2::uuid AS store_id, $3::sale_order_status AS status, u.total_cents FROM unnest($1::uuid[], $4::int4[]) AS u(id, total_cents)",
    );
    expect(src.params).toEqual(["{a,b}", "s", "COMPLETED", "{1,2}"]);
    // One row, or no id column: every column stays an array (the unnest gives the row count).
    expect(unnestSource(cols, rows.slice(0, 1)).params).toEqual(["{a}", "{s}", "{COMPLETED}", "{1}"]);
    expect(unnestSource(cols.slice(1), rows).sql).toContain("unnest($1::uuid[], $2::text[], $3::int4[])");
  });
});

describe("the upsert generated from the policy's field ownership", () => {
  const products = DEFAULT_SYNC_POLICY.products;
  const cols = columnsOf(products, ["id", "sku", "name", "price_cents", "tax_rate_bp", "active"]);
  const setList = (sql: string) => /DO UPDATE SET (.*) RETURNING/.exec(oneLine(sql))![1]!;

  it("a terminal's write inserts a new product with its price but never updates a central-owned column", () => {
    const sql = upsertSql(products, cols, "SELECT * FROM src", "terminal");
    expect(oneLine(sql)).toContain("INSERT INTO products AS t (id, sku, name, price_cents, tax_rate_bp, active)");
    expect(setList(sql)).toBe("sku = excluded.sku, name = excluded.name, version = t.version + 1, updated_at = now()");
  });

  it("central's own writes (an operator's resolution) update every column", () => {
    expect(setList(upsertSql(products, cols, "SELECT * FROM src"))).toBe(
      "sku = excluded.sku, name = excluded.name, price_cents = excluded.price_cents, tax_rate_bp = excluded.tax_rate_bp, active = excluded.active, version = t.version + 1, updated_at = now()",
    );
  });
});

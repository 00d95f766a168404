import { columnTypes, type ColumnSpec } from "./policy-columns";
import { Priority } from "./priorities";

/**
 * The sync policy of SPEC §2 as one declarative object. Everything that depends on a table's
 * sync behaviour derives from here: the terminal's capture triggers, central's apply code
 * (casts, conflict strategy, merge fields), pull scoping, and the docs. Operators override it
 * with `resolvePolicy(overrides)`.
 */

export const SYNC_TABLES = [
  "categories",
  "brands",
  "products",
  "customers",
  "inventory_items",
  "sale_orders",
  "sale_order_lines",
  "payments",
  "inventory_adjustments",
] as const;
export type SyncTable = (typeof SYNC_TABLES)[number];

export type Direction = "TERMINAL_TO_CENTRAL" | "CENTRAL_TO_TERMINAL" | "BOTH";
export type ConflictStrategy = "TERMINAL_WINS" | "CENTRAL_WINS" | "MERGE" | "MANUAL_MERGE";
export const CONFLICT_STRATEGIES: readonly ConflictStrategy[] = [
  "TERMINAL_WINS",
  "CENTRAL_WINS",
  "MERGE",
  "MANUAL_MERGE",
];

export type { ColumnSpec, ColumnType } from "./policy-columns";

/**
 * Who may write a row of a table terminals push (G8). Central decides it from the row it
 * already holds, inside the transaction that applies the change, never from the pushed row
 * alone. Every column named here is fixed: a push can never change it.
 */
export interface OwnerRule {
  /**
   * The column naming the terminal a row belongs to: only that terminal may change, delete or
   * re-create (same id) the row. A new row gets the pushing terminal's id.
   */
  terminal?: string;
  /** The column naming the store a row belongs to: only that store's terminals may write it. */
  store?: string;
  /**
   * The row belongs to whoever owns its parent row (`parent`): an order's lines and payments
   * may only be written under an order the pushing terminal owns.
   */
  viaParent?: true;
}

/**
 * An append-only table whose rows move a counter held in another table: the stock ledger
 * (every inventory_adjustments row adds its delta to inventory_items.quantity). Central and
 * the terminal both generate their apply code from this, so a second ledger table follows by
 * declaring it here.
 */
export interface LedgerRule {
  /** The table holding the counter (one row per key), e.g. inventory_items. */
  counterTable: SyncTable;
  /** The counter column, e.g. quantity. */
  counterColumn: string;
  /** The ledger row's column added to the counter, e.g. delta. */
  deltaColumn: string;
  /**
   * How a ledger row names its counter row: ledger column → counter-table column. The
   * counter columns are unique together in counterTable (its row is created on first use).
   */
  key: Readonly<Record<string, string>>;
  /**
   * A till's direct write of the counter column (`UPDATE inventory_items SET quantity = 7`)
   * becomes a ledger row with delta = new − old and these values in its other columns (e.g.
   * `{ reason: "COUNT" }`), in the same transaction, so it reaches central exactly once like
   * any other movement (G4). Without it a direct edit of the counter is discarded on the next
   * pull like any other local edit of a central-owned table.
   */
  directEdit?: Readonly<Record<string, string>>;
}

/** How a change's priority is computed when it is captured. */
export type PriorityRule =
  | { kind: "fixed"; priority: number }
  /** By the value of one column of the row (e.g. an order's status). */
  | { kind: "byColumn"; column: string; values: Record<string, number>; otherwise: number }
  /** The priority of the parent row's rule, looked up through `parent`. */
  | { kind: "asParent" };

export interface TablePolicy {
  table: SyncTable;
  direction: Direction;
  priority: PriorityRule;
  strategy: ConflictStrategy;
  /** Integer columns merged as deltas (terminal's change relative to its base) under MERGE. */
  mergeFields: readonly string[];
  /** Rows are only ever inserted; each one is applied exactly once (stock adjustments). */
  appendOnly: boolean;
  /** ALL: every terminal receives the table; STORE: only terminals of the row's store_id. */
  scope: "ALL" | "STORE";
  /** A row of this table must not reach central before its parent row. */
  parent?: { table: SyncTable; foreignKey: string };
  /** Who may write its rows (terminal→central tables; see OwnerRule). */
  owner?: OwnerRule;
  /** Each row moves a counter in another table, exactly once (append-only tables only). */
  ledger?: LedgerRule;
  /**
   * Field ownership (G3, G8): columns only central may change in a table terminals also write.
   * A terminal may create a row with any value; a terminal's change of one of these on a row
   * central holds is not applied (the rest of the change is), is logged as a CENTRAL_WINS
   * conflict naming the fields kept, and the terminal takes central's row from the answer.
   * Every column of a CENTRAL_TO_TERMINAL table is central's without being listed.
   */
  centralFields?: readonly string[];
  /** Central's copy has an `updated_at` column that every write sets to now(). */
  centralUpdatedAt: boolean;
  columns: readonly ColumnSpec[];
}

const { uuid, bool, timestamp, int, money, basisPoints, version } = columnTypes;
/** Names people read on a till's screen or receipt. */
const name = columnTypes.text(200);

export const ORDER_STATUSES = ["PENDING", "COMPLETED", "VOIDED"] as const;
export const CREATED_IN_MODES = ["ONLINE", "OFFLINE"] as const;
export const PAYMENT_METHODS = ["CASH", "CARD", "VOUCHER", "OTHER"] as const;
export const ADJUSTMENT_REASONS = ["SALE", "RETURN", "RECEIVE", "COUNT", "DAMAGE"] as const;

export const DEFAULT_SYNC_POLICY: Readonly<Record<SyncTable, TablePolicy>> = {
  categories: {
    table: "categories",
    centralUpdatedAt: true,
    direction: "CENTRAL_TO_TERMINAL",
    priority: { kind: "fixed", priority: Priority.LOW },
    strategy: "CENTRAL_WINS",
    mergeFields: [],
    appendOnly: false,
    scope: "ALL",
    columns: [
      { name: "id", type: uuid },
      { name: "name", type: name },
      { name: "version", type: version, optional: true, defaulted: true },
    ],
  },
  brands: {
    table: "brands",
    centralUpdatedAt: true,
    direction: "CENTRAL_TO_TERMINAL",
    priority: { kind: "fixed", priority: Priority.LOW },
    strategy: "CENTRAL_WINS",
    mergeFields: [],
    appendOnly: false,
    scope: "ALL",
    columns: [
      { name: "id", type: uuid },
      { name: "name", type: name },
      { name: "version", type: version, optional: true, defaulted: true },
    ],
  },
  products: {
    table: "products",
    centralUpdatedAt: true,
    direction: "BOTH",
    priority: { kind: "fixed", priority: Priority.MEDIUM },
    strategy: "CENTRAL_WINS",
    mergeFields: [],
    appendOnly: false,
    scope: "ALL",
    // Central pricing: a store may add a product and name it, never reprice or retire one.
    centralFields: ["price_cents", "tax_rate_bp", "active", "category_id", "brand_id"],
    columns: [
      { name: "id", type: uuid },
      { name: "sku", type: columnTypes.text(64) },
      { name: "name", type: name },
      { name: "category_id", type: uuid, optional: true },
      { name: "brand_id", type: uuid, optional: true },
      { name: "price_cents", type: money },
      { name: "tax_rate_bp", type: basisPoints, optional: true, defaulted: true },
      { name: "active", type: bool, optional: true, defaulted: true },
      // Added in protocol 2 (protocol-columns.ts): an EAN-13/UPC is 8-14 digits; room for others.
      { name: "barcode", type: columnTypes.text(64), optional: true },
      { name: "version", type: version, optional: true, defaulted: true },
    ],
  },
  customers: {
    table: "customers",
    centralUpdatedAt: true,
    direction: "BOTH",
    priority: { kind: "fixed", priority: Priority.MEDIUM_CUSTOMER },
    strategy: "MERGE",
    mergeFields: ["loyalty_points", "total_spent_cents"],
    appendOnly: false,
    scope: "ALL",
    columns: [
      { name: "id", type: uuid },
      { name: "name", type: name },
      { name: "email", type: columnTypes.text(320), optional: true },
      { name: "phone", type: columnTypes.text(64), optional: true },
      { name: "loyalty_points", type: int, optional: true, defaulted: true },
      { name: "total_spent_cents", type: int, optional: true, defaulted: true },
      { name: "version", type: version, optional: true, defaulted: true },
    ],
  },
  inventory_items: {
    table: "inventory_items",
    centralUpdatedAt: true,
    direction: "CENTRAL_TO_TERMINAL",
    priority: { kind: "fixed", priority: Priority.HIGH },
    strategy: "CENTRAL_WINS",
    mergeFields: [],
    appendOnly: false,
    scope: "STORE",
    columns: [
      { name: "id", type: uuid },
      { name: "store_id", type: uuid },
      { name: "product_id", type: uuid },
      { name: "quantity", type: int, optional: true, defaulted: true },
      { name: "version", type: version, optional: true, defaulted: true },
    ],
  },
  sale_orders: {
    table: "sale_orders",
    centralUpdatedAt: false,
    direction: "TERMINAL_TO_CENTRAL",
    priority: {
      kind: "byColumn",
      column: "status",
      values: { COMPLETED: Priority.CRITICAL },
      otherwise: Priority.HIGH_ORDER,
    },
    strategy: "TERMINAL_WINS",
    mergeFields: [],
    appendOnly: false,
    scope: "STORE",
    owner: { terminal: "terminal_id", store: "store_id" },
    columns: [
      { name: "id", type: uuid },
      { name: "terminal_id", type: uuid, optional: true },
      { name: "store_id", type: uuid },
      { name: "customer_id", type: uuid, optional: true },
      {
        name: "status",
        type: { kind: "enum", values: ORDER_STATUSES, pgType: "sale_order_status" },
        optional: true,
        defaulted: true,
      },
      { name: "total_cents", type: money, optional: true, defaulted: true },
      {
        name: "created_in_mode",
        type: { kind: "enum", values: CREATED_IN_MODES, pgType: "created_in_mode" },
        optional: true,
        defaulted: true,
        fromChange: "createdInMode",
      },
      { name: "created_at", type: timestamp, optional: true, defaulted: true },
      { name: "completed_at", type: timestamp, optional: true },
      { name: "version", type: version, optional: true, defaulted: true },
    ],
  },
  sale_order_lines: {
    table: "sale_order_lines",
    centralUpdatedAt: false,
    direction: "TERMINAL_TO_CENTRAL",
    priority: { kind: "asParent" },
    strategy: "TERMINAL_WINS",
    mergeFields: [],
    appendOnly: false,
    scope: "STORE",
    parent: { table: "sale_orders", foreignKey: "order_id" },
    owner: { viaParent: true },
    columns: [
      { name: "id", type: uuid },
      { name: "order_id", type: uuid },
      { name: "product_id", type: uuid },
      { name: "quantity", type: int },
      { name: "unit_price_cents", type: money },
      { name: "line_total_cents", type: money },
      { name: "version", type: version, optional: true, defaulted: true },
    ],
  },
  payments: {
    table: "payments",
    centralUpdatedAt: false,
    direction: "TERMINAL_TO_CENTRAL",
    priority: { kind: "fixed", priority: Priority.CRITICAL },
    strategy: "TERMINAL_WINS",
    mergeFields: [],
    appendOnly: false,
    scope: "STORE",
    parent: { table: "sale_orders", foreignKey: "order_id" },
    owner: { viaParent: true },
    columns: [
      { name: "id", type: uuid },
      { name: "order_id", type: uuid },
      {
        name: "method",
        type: { kind: "enum", values: PAYMENT_METHODS, pgType: "payment_method" },
      },
      { name: "amount_cents", type: money },
      { name: "created_at", type: timestamp, optional: true, defaulted: true },
      { name: "version", type: version, optional: true, defaulted: true },
    ],
  },
  inventory_adjustments: {
    table: "inventory_adjustments",
    centralUpdatedAt: false,
    direction: "TERMINAL_TO_CENTRAL",
    priority: { kind: "fixed", priority: Priority.HIGH },
    strategy: "MERGE",
    mergeFields: ["delta"],
    appendOnly: true,
    ledger: {
      counterTable: "inventory_items",
      counterColumn: "quantity",
      deltaColumn: "delta",
      key: { store_id: "store_id", product_id: "product_id" },
      directEdit: { reason: "COUNT" },
    },
    scope: "STORE",
    owner: { terminal: "terminal_id", store: "store_id" },
    columns: [
      { name: "id", type: uuid },
      { name: "store_id", type: uuid },
      { name: "product_id", type: uuid },
      { name: "delta", type: int },
      {
        name: "reason",
        type: { kind: "enum", values: ADJUSTMENT_REASONS, pgType: "adjustment_reason" },
      },
      { name: "terminal_id", type: uuid, optional: true },
      { name: "created_at", type: timestamp, optional: true, defaulted: true },
      { name: "version", type: version, optional: true, defaulted: true },
    ],
  },
};

export type SyncPolicy = Readonly<Record<SyncTable, TablePolicy>>;

/** Per-table overrides an operator may set; the rest comes from the default policy. */
export type PolicyOverrides = Partial<
  Record<SyncTable, Partial<Pick<TablePolicy, "strategy" | "priority" | "mergeFields">>>
>;

export function resolvePolicy(overrides: PolicyOverrides = {}): SyncPolicy {
  const out = {} as Record<SyncTable, TablePolicy>;
  for (const table of SYNC_TABLES) {
    out[table] = { ...DEFAULT_SYNC_POLICY[table], ...(overrides[table] ?? {}) };
  }
  return out;
}

/**
 * Tables the terminal captures into its outbox (it may write them and central accepts). Read
 * from the policy itself (in its order, SYNC_TABLES' for the default), so a table declared
 * only in a policy is generated for too.
 */
export function capturedTables(policy: SyncPolicy): TablePolicy[] {
  return Object.values(policy).filter((p) => p.direction !== "CENTRAL_TO_TERMINAL");
}

/** Tables central records in its change feed (terminals receive them on pull), in the policy's order. */
export function feedTables(policy: SyncPolicy): TablePolicy[] {
  return Object.values(policy).filter((p) => p.direction !== "TERMINAL_TO_CENTRAL");
}

/**
 * Tables in an order where every parent comes before its children. SYNC_TABLES is written in
 * that order; this checks it so an override or a new table cannot silently break causality.
 */
export function parentFirstOrder(policy: SyncPolicy): SyncTable[] {
  const seen = new Set<SyncTable>();
  for (const table of SYNC_TABLES) {
    const parent = policy[table].parent;
    if (parent && !seen.has(parent.table)) {
      throw new Error(`sync policy: ${table} is listed before its parent ${parent.table}`);
    }
    seen.add(table);
  }
  return [...SYNC_TABLES];
}

/** Every table whose rows are ledger entries, with its rule. */
export function ledgerTables(policy: SyncPolicy): Array<TablePolicy & { ledger: LedgerRule }> {
  return Object.values(policy).filter((p): p is TablePolicy & { ledger: LedgerRule } => p.ledger !== undefined);
}

/**
 * Checks what the type system cannot: every rule names tables and columns that exist, in an
 * order generators can rely on. Called by generators, so a broken override or a new table
 * fails loudly instead of generating SQL that silently skips it.
 */
export function validatePolicy(policy: SyncPolicy): void {
  const fail = (msg: string): never => {
    throw new Error(`sync policy: ${msg}`);
  };
  const has = (p: TablePolicy, col: string) => p.columns.some((c) => c.name === col);
  for (const p of Object.values(policy)) {
    if (p.priority.kind === "asParent" && !p.parent) fail(`${p.table} has priority asParent but no parent`);
    if (p.parent && !policy[p.parent.table]) fail(`${p.table}'s parent ${p.parent.table} is not in the policy`);
    if (p.parent && !has(p, p.parent.foreignKey)) fail(`${p.table} has no column ${p.parent.foreignKey}`);
    for (const f of p.mergeFields) if (!has(p, f)) fail(`${p.table} merges ${f}, which it does not have`);
    validateCentralFields(p, fail);
    validateOwner(policy, p, fail);
    const l = p.ledger;
    if (!l) continue;
    if (!p.appendOnly) fail(`${p.table} is a ledger but not append-only`);
    const counter = policy[l.counterTable];
    if (!counter) fail(`${p.table}'s counter table ${l.counterTable} is not in the policy`);
    if (!has(p, l.deltaColumn)) fail(`${p.table} has no delta column ${l.deltaColumn}`);
    if (!has(counter, l.counterColumn)) fail(`${l.counterTable} has no counter column ${l.counterColumn}`);
    if (Object.keys(l.key).length === 0) fail(`${p.table}'s ledger key is empty`);
    for (const [col, value] of Object.entries(l.directEdit ?? {})) {
      const t = p.columns.find((c) => c.name === col)?.type;
      if (!t) fail(`${p.table}'s direct-edit column ${col} is not a column`);
      else if (t.kind === "enum" && !t.values.includes(value)) fail(`${p.table}.${col} has no value ${value}`);
    }
    for (const [mine, theirs] of Object.entries(l.key)) {
      if (!has(p, mine)) fail(`ledger key ${mine} is not a column of ${p.table}`);
      if (!has(counter, theirs)) fail(`ledger key ${theirs} is not a column of ${l.counterTable}`);
    }
  }
}

/** Central-owned fields are columns of a table terminals write, and never its id or version. */
function validateCentralFields(p: TablePolicy, fail: (msg: string) => never): void {
  for (const f of p.centralFields ?? []) {
    if (!p.columns.some((c) => c.name === f)) fail(`${p.table}'s central field ${f} is not a column`);
    if (f === "id" || f === "version") fail(`${p.table}'s ${f} cannot be a central field (it names the row)`);
  }
  if (p.centralFields?.length && p.direction === "CENTRAL_TO_TERMINAL")
    fail(`${p.table} is central's whole: it lists no central fields`);
}

/** The columns of `p` a terminal may not change: the declared ones, or all of a central-owned table. */
export function centralFieldsOf(p: TablePolicy): readonly string[] {
  if (p.direction === "CENTRAL_TO_TERMINAL")
    return p.columns.map((c) => c.name).filter((c) => c !== "id" && c !== "version");
  return p.centralFields ?? [];
}

/** A table terminals push must say who owns its rows, in columns it has (G8). */
function validateOwner(policy: SyncPolicy, p: TablePolicy, fail: (msg: string) => never): void {
  const o = p.owner;
  if (p.direction === "TERMINAL_TO_CENTRAL" && !o) fail(`${p.table} is pushed by terminals but declares no owner`);
  if (!o) return;
  for (const col of [o.terminal, o.store])
    if (col !== undefined && !p.columns.some((c) => c.name === col))
      fail(`${p.table}'s owner column ${col} is not a column`);
  if (!o.viaParent) return;
  const parent = p.parent && policy[p.parent.table];
  if (!parent) fail(`${p.table} is owned via its parent but has none`);
  if (!parent.owner || parent.owner.viaParent || (!parent.owner.terminal && !parent.owner.store))
    fail(`${p.table}'s parent ${parent.table} must own its rows by a terminal or store column`);
}

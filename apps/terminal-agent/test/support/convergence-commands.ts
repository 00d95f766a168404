import fc from "fast-check";

/**
 * The commands of the convergence property (test/convergence.property.test.ts): offline edits
 * at three tills (T) on three products (P), central's own writes, syncs, and central backed up
 * and restored from its last backup.
 */
export type Cmd =
  | { kind: "sale"; t: number; p: number; qty: number; c: number | null }
  | { kind: "customerEdit"; t: number; c: number; name: string }
  | { kind: "customerCreate"; t: number }
  | { kind: "productEdit"; t: number; p: number; price: number; name: string | null }
  | { kind: "stockCount"; t: number; p: number; qty: number }
  | { kind: "categoryEdit"; t: number; name: string }
  | { kind: "centralPrice"; p: number; price: number }
  | { kind: "centralCount"; s: number; p: number; qty: number }
  | { kind: "centralPoints"; c: number; delta: number }
  | { kind: "centralRename"; c: number; name: string }
  | { kind: "backupCentral" }
  | { kind: "restoreCentral" }
  | { kind: "sync"; t: number };

export const T = 3;
export const P = 3;
const tillOrCentralCmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("sale" as const),
      t: fc.nat(T - 1),
      p: fc.nat(P - 1),
      qty: fc.integer({ min: 1, max: 5 }),
      c: fc.option(fc.nat(20), { nil: null }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("customerEdit" as const),
      t: fc.nat(T - 1),
      c: fc.nat(20),
      name: fc.constantFrom("Ann", "Bo", "Cy"),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("customerCreate" as const), t: fc.nat(T - 1) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("productEdit" as const),
      t: fc.nat(T - 1),
      p: fc.nat(P - 1),
      price: fc.integer({ min: 1, max: 999 }),
      name: fc.option(fc.constantFrom("loaf", "roll"), { nil: null }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("stockCount" as const),
      t: fc.nat(T - 1),
      p: fc.nat(P - 1),
      qty: fc.integer({ min: 0, max: 1500 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("categoryEdit" as const),
      t: fc.nat(T - 1),
      name: fc.constantFrom("Till's", "Mine"),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("centralPrice" as const),
      p: fc.nat(P - 1),
      price: fc.integer({ min: 1, max: 999 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("centralCount" as const),
      s: fc.nat(1),
      p: fc.nat(P - 1),
      qty: fc.integer({ min: 0, max: 500 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("centralPoints" as const),
      c: fc.nat(20),
      delta: fc.integer({ min: -5, max: 50 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("centralRename" as const),
      c: fc.nat(20),
      name: fc.constantFrom("Dee", "Eve"),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("sync" as const), t: fc.nat(T - 1) }) },
);

/**
 * Backups and restores are rare (each restarts central, about a second): some 1 command in 50,
 * so about one run in six backs up or restores. A restore goes back to the last backup, which
 * may be from an earlier run: the tills have gone on selling across whole schedules since.
 */
export const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 49, arbitrary: tillOrCentralCmd },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Cmd>({ kind: "backupCentral" }, { kind: "restoreCentral" }),
  },
);

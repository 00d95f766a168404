import { COLUMNS_ADDED_IN } from "./protocol-columns";
import { centralFieldsOf, SYNC_TABLES, type PriorityRule, type SyncPolicy, type TablePolicy } from "./sync-policy";

/**
 * docs/sync-policy.md, generated from the sync policy (`npx tsx scripts/print-policy-doc.ts >
 * docs/sync-policy.md`); a test checks the committed copy equals what the policy generates, so
 * what the docs say each table does (direction, priority, strategy, central-owned fields, the
 * ledger) cannot drift from what capture and central apply.
 */
export function policyDoc(policy: SyncPolicy): string {
  const rows = SYNC_TABLES.map((t) => policy[t]).map((p) =>
    [
      `\`${p.table}\``,
      direction(p),
      priority(p.priority),
      conflicts(p),
      fieldsOf(p),
      p.scope === "STORE" ? "its store" : "every store",
    ].join(" | "),
  );
  const ledgers = Object.values(policy).flatMap((p) => (p.ledger ? [ledgerLine(p, p.ledger)] : []));
  return `# Sync policy

<!-- Generated from packages/shared/src/sync-policy.ts by scripts/print-policy-doc.ts. Do not edit. -->

What each synced table does, as the policy in \`packages/shared/src/sync-policy.ts\` declares it.
Capture triggers, central's push decision and SQL, and pull scoping are generated from the same
object; \`SYNC_POLICY_OVERRIDES\` may change a strategy, never a direction or an ownership.

| table | direction | priority | on conflict | central-owned fields | scope |
|---|---|---|---|---|---|
${rows.map((r) => `| ${r} |`).join("\n")}

**Central-owned fields.** A terminal may create a row with any value, but its change to one of
these columns on a row central holds is not applied (the rest of the change is): it is logged as
a \`CENTRAL_WINS\` conflict, answered with \`keptFields\` and central's row, which the terminal takes
over. A central→terminal table is central's whole: a till's own write of it is never pushed, and
the next pull puts central's row back (\`status\`: "local edits discarded").

**Ledgers.**
${ledgers.join("\n")}

**Columns by protocol.** What each protocol version added (\`protocol-columns.ts\`). Central
serves an agent of an older protocol without them: a pull neither reads nor sends them, a push
naming one is refused by name, and a row that agent inserts keeps their defaults.
${protocolLines().join("\n")}
`;
}

function protocolLines(): string[] {
  return Object.entries(COLUMNS_ADDED_IN).map(([v, tables]) => {
    const cols = Object.entries(tables).flatMap(([t, cs]) => (cs ?? []).map((c) => `\`${t}.${c}\``));
    return `- protocol ${v}: ${cols.join(", ")}`;
  });
}

function direction(p: TablePolicy): string {
  const d = {
    TERMINAL_TO_CENTRAL: "terminal → central",
    CENTRAL_TO_TERMINAL: "central → terminals",
    BOTH: "both ways",
  }[p.direction];
  return p.appendOnly ? `${d}, append-only` : d;
}

function priority(r: PriorityRule): string {
  switch (r.kind) {
    case "fixed":
      return String(r.priority);
    case "byColumn":
      return `${Object.entries(r.values)
        .map(([v, n]) => `${n} when ${r.column} = ${v}`)
        .join(", ")}, else ${r.otherwise}`;
    case "asParent":
      return "as its parent";
  }
}

function conflicts(p: TablePolicy): string {
  if (p.ledger) return `each row applied once (${p.ledger.deltaColumn} added to the counter)`;
  return p.mergeFields.length > 0 ? `${p.strategy}: ${p.mergeFields.join(", ")} as deltas` : p.strategy;
}

function fieldsOf(p: TablePolicy): string {
  if (p.direction === "CENTRAL_TO_TERMINAL") return "all";
  const f = centralFieldsOf(p);
  return f.length > 0 ? f.join(", ") : "—";
}

function ledgerLine(p: TablePolicy, l: NonNullable<TablePolicy["ledger"]>): string {
  const key = Object.entries(l.key)
    .map(([mine, theirs]) => (mine === theirs ? mine : `${mine} → ${theirs}`))
    .join(", ");
  const direct = l.directEdit
    ? ` A till's direct write of \`${l.counterTable}.${l.counterColumn}\` becomes one of its rows, new − old, with ${Object.entries(
        l.directEdit,
      )
        .map(([c, v]) => `${c} ${v}`)
        .join(", ")}.`
    : "";
  return `- \`${p.table}\` moves \`${l.counterTable}.${l.counterColumn}\` by \`${l.deltaColumn}\`, per ${key}.${direct}`;
}

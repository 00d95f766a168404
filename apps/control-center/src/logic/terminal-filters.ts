import type { TerminalHealth } from "@tillsync/shared/browser";
import type { HealthFilter, TerminalSort } from "./routes";

/** The Terminals table's filters (by store and health colour) and sort (by lag or name). */

export interface TerminalView {
  store: string | null;
  health: HealthFilter;
  sort: TerminalSort;
}

function byLag(a: TerminalHealth, b: TerminalHealth): number {
  return b.lag - a.lag || (b.lagSeconds ?? 0) - (a.lagSeconds ?? 0) || byName(a, b);
}

function byName(a: TerminalHealth, b: TerminalHealth): number {
  return a.name.localeCompare(b.name, "en", { numeric: true }) || a.id.localeCompare(b.id);
}

export function viewTerminals(list: readonly TerminalHealth[], view: TerminalView): TerminalHealth[] {
  return list
    .filter((t) => view.store === null || t.storeId === view.store)
    .filter((t) => view.health === "all" || t.health === view.health)
    .sort(view.sort === "lag" ? byLag : byName);
}

export interface StoreOption {
  id: string;
  label: string;
}

/** Stores for the filter: every store known (by name), plus any a terminal names that the list lacks. */
export function storeOptions(
  terminals: readonly TerminalHealth[],
  stores: ReadonlyArray<{ id: string; name: string }>,
): StoreOption[] {
  const names = new Map(stores.map((s) => [s.id, s.name]));
  for (const t of terminals) if (!names.has(t.storeId)) names.set(t.storeId, t.storeName ?? t.storeId.slice(0, 8));
  return [...names].map(([id, label]) => ({ id, label })).sort((a, b) => a.label.localeCompare(b.label, "en"));
}

import type {
  HubHealthColour,
  SyncStatusResponse,
  TerminalHealth,
  TerminalListResponse,
} from "@tillsync/shared/browser";

/** The Overview page's figures, computed from the terminal list and the fleet's sync status. */

export interface OverviewFigures {
  total: number;
  online: number;
  offline: number;
  disabled: number;
  byHealth: Record<HubHealthColour, number>;
  totals: { pending: number; failed: number; conflicts: number };
  /** The enabled terminal furthest behind the feed (by changes, then seconds); null when none lags. */
  slowest: TerminalHealth | null;
  feedHead: string;
}

function slowestOf(terminals: readonly TerminalHealth[]): TerminalHealth | null {
  let worst: TerminalHealth | null = null;
  for (const t of terminals) {
    if (t.status === "DISABLED" || (t.lag === 0 && !t.lagSeconds)) continue;
    const behind =
      !worst || t.lag > worst.lag || (t.lag === worst.lag && (t.lagSeconds ?? 0) > (worst.lagSeconds ?? 0));
    if (behind) worst = t;
  }
  return worst;
}

/**
 * Totals come from /api/sync/status when it is at hand (it also counts central's own pending
 * conflicts); otherwise they are summed from the enabled terminals' last heartbeats.
 */
export function overviewFigures(list: TerminalListResponse, status?: SyncStatusResponse | null): OverviewFigures {
  const byHealth: Record<HubHealthColour, number> = { green: 0, yellow: 0, red: 0, gray: 0 };
  const summed = { pending: 0, failed: 0, conflicts: 0 };
  let online = 0;
  let offline = 0;
  let disabled = 0;
  for (const t of list.terminals) {
    byHealth[t.health] += 1;
    if (t.status === "ONLINE") online += 1;
    else if (t.status === "OFFLINE") offline += 1;
    else disabled += 1;
    if (t.status === "DISABLED") continue;
    summed.pending += t.outbox.pending;
    summed.failed += t.outbox.failed;
    summed.conflicts += t.outbox.conflicts;
  }
  const totals = status
    ? { pending: status.totals.pending, failed: status.totals.failed, conflicts: status.totals.conflicts }
    : summed;
  return {
    total: list.terminals.length,
    online,
    offline,
    disabled,
    byHealth,
    totals,
    slowest: slowestOf(list.terminals),
    feedHead: list.feedHead,
  };
}

import type { Logger } from "../observability/logger";
import type { HubServer } from "./socket-server";
import { storeRoom, type TriggerDelivery } from "./trigger-delivery";
import type { SyncTrigger } from "./trigger-store";

/**
 * DATA_CHANGED to the terminals connected to this instance whose scope holds one of `stores`
 * (null: an all-stores table, so every socket here), from the local rooms and straight to their
 * sockets (TriggerDelivery.sendDirectMany): no cluster-wide fetchSockets, no job per terminal. Each
 * instance does this for its own sockets when a round is announced (hub.ts dataChanged).
 */
export async function triggerConnected(
  deps: { io: HubServer; delivery: Pick<TriggerDelivery, "sendDirectMany">; triggerChunk: number; log: Logger },
  stores: Array<string | null>,
  timestamp: string,
): Promise<void> {
  const ns = deps.io.of("/");
  const sids = stores.includes(null)
    ? [...ns.sockets.keys()]
    : stores.flatMap((s) => [...(ns.adapter.rooms.get(storeRoom(s!)) ?? [])]);
  const ids = [...new Set(sids.flatMap((sid) => ns.sockets.get(sid)?.data.terminal.id ?? []))];
  const chunk = deps.triggerChunk;
  for (let i = 0; i < ids.length; i += chunk) {
    // A chunk's pending records and claims go to Redis in one pipeline (sendDirectMany).
    await deps.delivery.sendDirectMany(
      ids.slice(i, i + chunk).map((id) => ({
        type: "INCREMENTAL" as const,
        terminalId: id as SyncTrigger["terminalId"],
        timestamp,
        reason: "DATA_CHANGED" as const,
      })),
    );
  }
  if (ids.length > 0) deps.log.debug({ count: ids.length }, "DATA_CHANGED triggers sent");
}

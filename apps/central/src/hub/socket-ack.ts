import { socketEvents, type SyncCursorAnswer } from "@tillsync/shared";
import { findTerminalByKey, type KeyLookup } from "../auth/bearer";
import type { Logger } from "../observability/logger";
import type { HubMetrics } from "../observability/metrics";
import type { TerminalQueries } from "../store/terminals";
import type { HubSocket } from "./socket-server";
import type { SyncRuns } from "./sync-runs";
import type { TriggerDelivery } from "./trigger-delivery";

/**
 * A terminal's `sync:ack`: the trigger it synced for is done (the pending trigger and its claim go,
 * a run counts it), and, from agents whose register answer offered it (`cursorOnAck`), the cursor
 * that sync applied. That cursor was a `sync:cursor` of its own before, sent and answered inside
 * the cycle: after a price change a frame, its answer and a wait for the acknowledge's statement
 * for each of a thousand tills, before the till's cycle could end. Now it rides on the ack the
 * till sends after its cycle anyway, and is answered (socket.io's acknowledgement) off the cycle.
 *
 * What is recorded keeps the acknowledge's meaning (SPEC §4: the cursor the terminal applied):
 * it is the till's own word, for its own terminal only (G8), from a key still valid, and it is
 * taken only if it is a position of central's feed as it stands: the epoch it came from is the
 * feed's and the cursor is not beyond the head (TerminalQueries.acknowledge with its epoch, checked in
 * the statement that writes it).
 */
export interface SocketAckDeps {
  delivery: Pick<TriggerDelivery, "onAck">;
  runs: Pick<SyncRuns, "onAck">;
  terminals: KeyLookup & Pick<TerminalQueries, "acknowledge">;
  /** Whether this instance takes the cursor on `sync:ack` (HubTunables.cursorOnAck). */
  cursorOnAck: boolean;
  metrics: Pick<HubMetrics, "triggersAcked">;
  /** After a cursor was recorded: what the HTTP acknowledge's 200 tells the console. */
  onCursorAcked?: (terminalId: string) => void;
  log: Logger;
}

export function onSyncAck(socket: HubSocket, deps: SocketAckDeps, raw: unknown, answer: unknown): void {
  const reply = (a: SyncCursorAnswer) => {
    if (typeof answer === "function") (answer as (a: SyncCursorAnswer) => void)(a);
  };
  const t = socket.data.terminal;
  const p = socketEvents["sync:ack"].safeParse(raw);
  if (!p.success) return reply({ ok: false, error: `sync:ack: ${p.error.issues[0]?.message ?? "invalid"}` });
  if (p.data.terminalId !== t.id)
    return reply({ ok: false, error: `this socket belongs to terminal ${t.id}, not ${p.data.terminalId}` });
  deps.metrics.triggersAcked.inc();
  void deps.delivery
    .onAck(t.id, p.data.timestamp)
    .then((runsOpen) => deps.runs.onAck(t.id, p.data.timestamp, runsOpen))
    .catch((err: unknown) => deps.log.warn({ err, terminalId: t.id }, "ack failed"));
  const { cursor, epoch } = p.data;
  if (cursor === undefined) return; // an older agent, or one this instance did not offer it to
  // Off here (a peer that offered it, then a reconnect here): acknowledge the way it was done before.
  if (!deps.cursorOnAck) return reply({ ok: false });
  if (epoch === undefined) return reply({ ok: false, error: "a cursor on sync:ack needs the epoch it came from" });
  const token = (socket.handshake.auth as { token?: unknown }).token;
  void (async () => {
    const holder = typeof token === "string" ? await findTerminalByKey(deps.terminals, token) : undefined;
    if (holder?.id !== t.id) return reply({ ok: false, error: "terminal key is no longer valid" });
    if (!(await deps.terminals.acknowledge(t.id, cursor, epoch)))
      return reply({
        ok: false,
        error: `cursor ${cursor} of feed epoch ${epoch} is not a position of central's feed (another epoch, or beyond its head): not recorded`,
      });
    reply({ ok: true });
    deps.onCursorAcked?.(t.id);
  })().catch((err: unknown) => {
    deps.log.warn({ err, terminalId: t.id }, "cursor on sync:ack failed");
    reply({ ok: false });
  });
}

import { socketEvents, type RegisterAnswer, type SyncCursorAnswer } from "@tillsync/shared";
import { findTerminalByKey, type KeyLookup } from "../auth/bearer";
import type { Logger } from "../observability/logger";
import type { TerminalQueries } from "../store/terminals";
import type { HubSocket } from "./socket-server";

/**
 * The acknowledged cursor over the terminal's socket (`sync:cursor`): after a price change each
 * of a thousand tills made a `POST /api/sync/acknowledge` of its own, a request with its Express
 * chain, authentication and JSON body, on top of its pull; over the socket it is one message on a
 * connection already authenticated. The HTTP acknowledge stays for older agents, for a central
 * that does not advertise this, and as the agent's fallback when the answer does not come.
 */
export interface CursorAckDeps {
  terminals: KeyLookup & Pick<TerminalQueries, "acknowledge">;
  /** Whether this instance offers it (HubTunables.cursorOverSocket); off, agents acknowledge over HTTP. */
  enabled: boolean;
  /** After a cursor was recorded: what the HTTP acknowledge's 200 tells the console. */
  onAcked?: (terminalId: string) => void;
  log: Logger;
}

/** What a `terminal:register` is answered with, when the agent asked for an answer. */
export function registerAnswer(deps: Pick<CursorAckDeps, "enabled">): RegisterAnswer {
  return { cursorAck: deps.enabled };
}

/**
 * Records a `sync:cursor` of `socket`'s terminal as the HTTP acknowledge does (the same batched
 * write), and answers `ok` once it is written. Refused with `ok: false`, and nothing written:
 * a malformed payload, another terminal's id (G8), a key revoked or a terminal disabled since the
 * handshake (the HTTP acknowledge would answer 401; the socket's drop may still be on its way), a
 * cursor beyond the feed's head or of another epoch (the HTTP acknowledge's 409), or this instance
 * not offering it.
 */
export function onSyncCursor(socket: HubSocket, deps: CursorAckDeps, raw: unknown, answer: unknown): void {
  const reply = (a: SyncCursorAnswer) => {
    if (typeof answer === "function") (answer as (a: SyncCursorAnswer) => void)(a);
  };
  const t = socket.data.terminal;
  if (!deps.enabled)
    return reply({ ok: false, error: "sync:cursor is off on this central: POST /api/sync/acknowledge" });
  const p = socketEvents["sync:cursor"].safeParse(raw);
  if (!p.success) return reply({ ok: false, error: `sync:cursor: ${p.error.issues[0]?.message ?? "invalid"}` });
  if (p.data.terminalId !== t.id)
    return reply({ ok: false, error: `this socket belongs to terminal ${t.id}, not ${p.data.terminalId}` });
  const token = (socket.handshake.auth as { token?: unknown }).token;
  void (async () => {
    const holder = typeof token === "string" ? await findTerminalByKey(deps.terminals, token) : undefined;
    if (holder?.id !== t.id) return reply({ ok: false, error: "terminal key is no longer valid" });
    if (!(await deps.terminals.acknowledge(t.id, p.data.cursor, p.data.epoch)))
      return reply({
        ok: false,
        error: `cursor ${p.data.cursor} is not a position of central's feed (beyond its head, or of another epoch)`,
      });
    reply({ ok: true });
    deps.onAcked?.(t.id);
  })().catch((err: unknown) => {
    deps.log.warn({ err, terminalId: t.id }, "sync:cursor failed");
    reply({ ok: false, error: "the cursor was not recorded; acknowledge over HTTP" });
  });
}

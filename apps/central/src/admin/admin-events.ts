import {
  ADMIN_NAMESPACE,
  emergencyStateSchema,
  type AdminSocketEventName,
  type AdminSocketPayload,
  type EmergencyState,
} from "@tillsync/shared";
import type { CompletedAction } from "../auth/action-guard";
import type { HubTunables } from "../config";
import type { HubServer } from "../hub/socket-server";
import { toTerminalHealth } from "../hub/terminal-health";
import type { Logger } from "../observability/logger";
import type { ConflictLog } from "../store/conflicts";
import type { TerminalQueries } from "../store/terminals";

export interface AdminEventsDeps {
  io: HubServer;
  store: { terminals: Pick<TerminalQueries, "list">; conflicts: Pick<ConflictLog, "get" | "byIds"> };
  emergencyState: () => Promise<EmergencyState>;
  tunables: Pick<HubTunables, "lagCap" | "backlogAlertFailed" | "delayedAfterMs">;
  log: Logger;
  /** A terminal's activity events are sent at most this often (per terminal, per instance). */
  activityEveryMs?: number;
}

/**
 * What the console hears on /admin (docs/control-center-api.md): each event carries the whole
 * new state, read from the store when it is sent. Emitted through the Redis adapter, so the
 * consoles connected to every central instance receive it. Sending never fails the caller: an
 * event that cannot be built is logged, and the console's periodic refresh catches up.
 */
export class AdminEvents {
  private readonly lastActivity = new Map<string, number>();
  private readonly trailing = new Map<string, NodeJS.Timeout>();
  private closed = false;
  /** Whether a console is connected to another instance: asked at most once a second. */
  private remote: { at: number; any: Promise<boolean> } | undefined;

  constructor(private readonly deps: AdminEventsDeps) {}

  private emit<E extends AdminSocketEventName>(event: E, payload: AdminSocketPayload<E>): void {
    // An event still being built when central stops would publish through a Redis client that
    // is closing: the adapter's publish rejects with nobody to catch it.
    if (this.closed) return;
    // The admin namespace has its own event map; the hub's server type knows only the terminals'.
    (this.deps.io.of(ADMIN_NAMESPACE).emit as (e: string, p: unknown) => boolean)(event, payload);
  }

  private async terminalHealth(id: string) {
    const [rows, emergency] = await Promise.all([
      this.deps.store.terminals.list(this.deps.tunables.lagCap, id),
      this.deps.emergencyState(),
    ]);
    return rows[0] ? toTerminalHealth(rows[0], emergency.stopped, this.deps.tunables) : undefined;
  }

  /**
   * Whether any console listens, anywhere in the cluster. Activity events read the terminal's
   * health from PostgreSQL (its lag count, the emergency state): ten thousand tills' heartbeats
   * must not pay for that with nobody watching. A console here is seen at once; one on another
   * instance within a second (missed events are caught up by the console's periodic refresh).
   */
  private consolesListening(): Promise<boolean> {
    const nsp = this.deps.io.of(ADMIN_NAMESPACE);
    if (nsp.sockets.size > 0) return Promise.resolve(true);
    const now = Date.now();
    if (!this.remote || now - this.remote.at > 1000) {
      // When the cluster cannot be asked, send as before.
      this.remote = {
        at: now,
        any: nsp.fetchSockets().then(
          (s) => s.length > 0,
          () => true,
        ),
      };
    }
    return this.remote.any;
  }

  private safely(what: string, fn: () => Promise<void>): void {
    void fn().catch((err: unknown) => this.deps.log.warn({ err }, `admin event ${what} not sent`));
  }

  /** ONLINE/OFFLINE, created, disabled/enabled, paused/resumed, key rotated/revoked. */
  terminalStatus(id: string): void {
    this.safely("terminal:status", async () => {
      const terminal = await this.terminalHealth(id);
      if (terminal) this.emit("terminal:status", { terminal, at: new Date().toISOString() });
    });
  }

  /**
   * A heartbeat, push, pull or acknowledge: at most one event per terminal per interval, the
   * last one trailing so the console ends on the newest state.
   */
  terminalActivity(id: string): void {
    const every = this.deps.activityEveryMs ?? 1000;
    if (this.trailing.has(id)) return;
    const wait = (this.lastActivity.get(id) ?? 0) + every - Date.now();
    const send = () => {
      this.trailing.delete(id);
      this.lastActivity.set(id, Date.now());
      this.safely("terminal:heartbeat", async () => {
        if (!(await this.consolesListening())) return;
        const terminal = await this.terminalHealth(id);
        if (terminal) this.emit("terminal:heartbeat", { terminal, at: new Date().toISOString() });
      });
    };
    if (wait <= 0) return send();
    const t = setTimeout(send, wait);
    t.unref();
    this.trailing.set(id, t);
  }

  /** Conflicts a push just logged. */
  conflictsCreated(ids: string[]): void {
    if (ids.length === 0) return;
    this.safely("conflict:created", async () => {
      for (const conflict of await this.deps.store.conflicts.byIds(ids)) this.emit("conflict:created", { conflict });
    });
  }

  conflictResolved(id: string): void {
    this.safely("conflict:resolved", async () => {
      const conflict = await this.deps.store.conflicts.get(id);
      if (conflict) this.emit("conflict:resolved", { conflict });
    });
  }

  emergency(emergency: EmergencyState): void {
    this.emit(emergency.stopped ? "sync:emergency-stop" : "sync:emergency-resume", { emergency });
  }

  /** The events a successful guarded action causes (the action guard calls this). */
  afterAction({ action, target, answer }: CompletedAction): void {
    if (target.type === "terminal" && target.id && action.startsWith("terminal.")) this.terminalStatus(target.id);
    else if (action === "conflict.resolve" && target.id) this.conflictResolved(target.id);
    else if (action === "sync.emergency-stop" || action === "sync.resume") {
      const state = emergencyStateSchema.safeParse(answer);
      if (state.success) this.emergency(state.data);
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.trailing.values()) clearTimeout(t);
    this.trailing.clear();
  }
}

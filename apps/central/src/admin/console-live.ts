import { OperatorAuthenticator } from "../auth/operator-auth";
import type { HubTunables } from "../config";
import type { Hub } from "../hub/hub";
import type { Logger } from "../observability/logger";
import type { CentralStore } from "../store/central-store";
import { AdminEvents } from "./admin-events";
import { attachAdminNamespace, type AdminNamespace } from "./admin-namespace";

/** The console's live side on this instance: what it hears, and the namespace it listens on. */
export interface ConsoleLive {
  events: AdminEvents;
  namespace: AdminNamespace;
  close(): void;
}

/** Attaches /admin to the hub's socket.io server and wires the hub's OFFLINE sweep to its events. */
export function startConsoleLive(deps: {
  hub: Hub;
  store: CentralStore;
  adminToken: string;
  tunables: HubTunables;
  log: Logger;
}): ConsoleLive {
  const { hub, store, tunables, log } = deps;
  const events = new AdminEvents({
    io: hub.io,
    store,
    emergencyState: () => hub.emergencyState(),
    tunables,
    log,
    activityEveryMs: tunables.adminActivityEveryMs,
  });
  hub.onWentOffline = (ids) => ids.forEach((id) => events.terminalStatus(id));
  hub.onCursorAcked = (id) => events.terminalActivity(id);
  hub.pulls.onPulled = (id) => events.terminalActivity(id);
  const namespace = attachAdminNamespace(hub.io, {
    authn: new OperatorAuthenticator({
      adminToken: deps.adminToken,
      operators: store.operators,
      sessions: store.sessions,
    }),
    sessions: store.sessions,
    operators: store.operators,
    checkEveryMs: tunables.adminSessionCheckMs,
    log,
  });
  return {
    events,
    namespace,
    close() {
      namespace.close();
      events.close();
    },
  };
}

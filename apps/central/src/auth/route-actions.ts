import { type GuardedAction, type OperatorRole } from "@tillsync/shared";

/**
 * Which guarded action (ACTION_ROLES in packages/shared) each state-changing operator route
 * is. The action gives the least role and is the audit log's `action`. A POST to an operator
 * route missing here is refused (fail closed), and the role tests, which walk the documented
 * routes, fail for it. Routes of the contract that another part of central serves (pause,
 * resume) are listed too, so they are guarded and audited whoever writes them.
 */
export const ROUTE_ACTIONS: Readonly<Record<string, GuardedAction | ((body: unknown) => GuardedAction)>> = {
  "POST /api/terminals": "terminal.create",
  "POST /api/terminals/:id/rotate-key": "terminal.rotate-key",
  "POST /api/terminals/:id/revoke-key": "terminal.revoke-key",
  "POST /api/terminals/:id/disable": "terminal.disable",
  "POST /api/terminals/:id/enable": "terminal.enable",
  "POST /api/terminals/:id/pause": "terminal.pause",
  "POST /api/terminals/:id/resume": "terminal.resume",
  "POST /api/sync/all": "sync.trigger",
  "POST /api/sync/emergency-stop": "sync.emergency-stop",
  "POST /api/sync/resume": "sync.resume",
  "POST /api/sync/resolve": "conflict.resolve",
  "POST /api/sync/schedules": scheduleAction,
  "POST /api/background/sync/schedule": scheduleAction,
  "POST /api/background/sync/slave-to-prod": "sync.trigger",
  "POST /api/stores": "store.create",
  "POST /api/products": "product.upsert",
  "POST /api/stock": stockAction,
  "POST /api/operators": "operator.create",
  "POST /api/operators/:id/revoke": "operator.revoke",
};

const SCHEDULE_ACTIONS: Record<string, GuardedAction> = {
  create: "schedule.create",
  update: "schedule.update",
  pause: "schedule.pause",
  resume: "schedule.resume",
  delete: "schedule.delete",
  "trigger-manual": "schedule.trigger",
};

const STOCK_ACTIONS: Record<string, GuardedAction> = {
  COUNT: "stock.set",
  RECEIVE: "stock.receive",
  DAMAGE: "stock.damage",
  TRANSFER: "stock.transfer",
};

/** POST /api/stock is four movements told apart by the body's `type` (none: a COUNT). */
function stockAction(body: unknown): GuardedAction {
  const t = (body as { type?: unknown } | null)?.type;
  // An unknown type still needs the stock role; the route then answers 400.
  return (typeof t === "string" && STOCK_ACTIONS[t]) || "stock.set";
}

/** POST /api/sync/schedules is six actions told apart by the body's `action`. */
function scheduleAction(body: unknown): GuardedAction {
  const a = (body as { action?: unknown } | null)?.action;
  // An unknown action still needs the schedules' role; the route then answers 400.
  return (typeof a === "string" && SCHEDULE_ACTIONS[a]) || "schedule.create";
}

/** Reads need viewer, except these. */
export const READ_ROLES: Readonly<Record<string, OperatorRole>> = {
  "GET /api/operators": "admin",
};

interface CompiledRoute {
  key: string;
  method: string;
  pattern: RegExp;
  params: string[];
}

/** Express paths (`/a/:id/b`) as anchored patterns capturing their parameters. */
function compile(key: string): CompiledRoute {
  const [method, path] = key.split(" ") as [string, string];
  const params: string[] = [];
  const source = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, (_m, name: string) => {
    params.push(name);
    return "([^/]+)";
  });
  return { key, method, pattern: new RegExp(`^${source}/?$`), params };
}

const COMPILED = [...Object.keys(ROUTE_ACTIONS), ...Object.keys(READ_ROLES)].map(compile);

/** A path parameter as sent when it does not decode (`%E0%A4%A`): the route answers 400 for it, not a 500 here. */
function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The table key ("POST /api/terminals/:id/disable") and parameters a request matches. */
export function matchRoute(method: string, path: string): { key: string; params: Record<string, string> } | undefined {
  for (const r of COMPILED) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.params.forEach((name, i) => (params[name] = decodeParam(m[i + 1]!)));
    return { key: r.key, params };
  }
  return undefined;
}

/** The guarded action of a state-changing request, when it is one. */
export function actionOf(key: string, body: unknown): GuardedAction | undefined {
  const a = ROUTE_ACTIONS[key];
  return typeof a === "function" ? a(body) : a;
}

import {
  conflictPageSchema,
  conflictResponseSchema,
  createOperatorResponseSchema,
  createTerminalResponseSchema,
  emergencyStateSchema,
  operatorListResponseSchema,
  operatorResponseSchema,
  resolveConflictResponseSchema,
  rotateKeyResponseSchema,
  scheduleActionResponseSchema,
  scheduleListResponseSchema,
  sessionSchema,
  signOutResponseSchema,
  storeListResponseSchema,
  syncAllResponseSchema,
  syncStatusResponseSchema,
  terminalDetailResponseSchema,
  terminalListResponseSchema,
  terminalStateResponseSchema,
  auditPageSchema,
  type AuditQuery,
  type ConflictQuery,
  type CreateOperatorRequest,
  type ScheduleRequest,
  type Session,
} from "@tillsync/shared/browser";
import type { ResolveRequest } from "../logic/resolve-form";
import { createTransport, type FetchLike, type Transport } from "./request";

/**
 * The console's typed client of central's API (docs/control-center-api.md): one method per
 * endpoint, each answer parsed with its shared schema. The session's CSRF token is kept here
 * and sent on every POST.
 */

type Query<Q> = { [K in keyof Q]?: Q[K] | null };

const terminalPath = (id: string, action?: string) =>
  `/api/terminals/${encodeURIComponent(id)}${action ? `/${action}` : ""}`;

function sessionApi(t: Transport) {
  const remember = (s: Session) => {
    t.setCsrfToken(s.csrfToken);
    return s;
  };
  return {
    get: async () => remember(await t.call({ method: "GET", path: "/api/session", schema: sessionSchema })),
    signIn: async (token: string) =>
      remember(await t.call({ method: "POST", path: "/api/session", body: { token }, schema: sessionSchema })),
    signOut: async () => {
      const out = await t.call({
        method: "POST",
        path: "/api/session/sign-out",
        body: {},
        schema: signOutResponseSchema,
      });
      t.setCsrfToken(null);
      return out;
    },
  };
}

function terminalsApi(t: Transport) {
  const post = <S extends Parameters<Transport["call"]>[0]["schema"]>(path: string, body: unknown, schema: S) =>
    t.call({ method: "POST", path, body, schema });
  return {
    list: () => t.call({ method: "GET", path: "/api/terminals", schema: terminalListResponseSchema }),
    detail: (id: string) => t.call({ method: "GET", path: terminalPath(id), schema: terminalDetailResponseSchema }),
    create: (body: { name: string; storeId: string; code?: string }) =>
      post("/api/terminals", body, createTerminalResponseSchema),
    rotateKey: (id: string, graceSeconds: number) =>
      post(terminalPath(id, "rotate-key"), { graceSeconds }, rotateKeyResponseSchema),
    disable: (id: string, reason: string) =>
      post(terminalPath(id, "disable"), reason ? { reason } : {}, terminalStateResponseSchema),
    enable: (id: string) => post(terminalPath(id, "enable"), {}, terminalStateResponseSchema),
    pause: (id: string, reason: string) =>
      post(terminalPath(id, "pause"), reason ? { reason } : {}, terminalStateResponseSchema),
    resume: (id: string) => post(terminalPath(id, "resume"), {}, terminalStateResponseSchema),
    syncNow: (id: string) => post("/api/sync/all", { terminalId: id }, syncAllResponseSchema),
  };
}

function syncApi(t: Transport) {
  return {
    status: () => t.call({ method: "GET", path: "/api/sync/status", schema: syncStatusResponseSchema }),
    emergencyStop: (reason: string) =>
      t.call({ method: "POST", path: "/api/sync/emergency-stop", body: { reason }, schema: emergencyStateSchema }),
    resume: () => t.call({ method: "POST", path: "/api/sync/resume", body: {}, schema: emergencyStateSchema }),
  };
}

function conflictsApi(t: Transport) {
  return {
    list: (query: Query<ConflictQuery>) =>
      t.call({ method: "GET", path: "/api/conflicts", query, schema: conflictPageSchema }),
    get: (id: string) =>
      t.call({ method: "GET", path: `/api/conflicts/${encodeURIComponent(id)}`, schema: conflictResponseSchema }),
    resolve: (body: ResolveRequest) =>
      t.call({ method: "POST", path: "/api/sync/resolve", body, schema: resolveConflictResponseSchema }),
  };
}

function adminApi(t: Transport) {
  return {
    stores: { list: () => t.call({ method: "GET", path: "/api/stores", schema: storeListResponseSchema }) },
    schedules: {
      list: () => t.call({ method: "GET", path: "/api/sync/schedules", schema: scheduleListResponseSchema }),
      act: (body: ScheduleRequest) =>
        t.call({ method: "POST", path: "/api/sync/schedules", body, schema: scheduleActionResponseSchema }),
    },
    audit: {
      list: (query: Query<AuditQuery>) => t.call({ method: "GET", path: "/api/audit", query, schema: auditPageSchema }),
    },
    operators: {
      list: () => t.call({ method: "GET", path: "/api/operators", schema: operatorListResponseSchema }),
      create: (body: CreateOperatorRequest) =>
        t.call({ method: "POST", path: "/api/operators", body, schema: createOperatorResponseSchema }),
      revoke: (id: string) =>
        t.call({
          method: "POST",
          path: `/api/operators/${encodeURIComponent(id)}/revoke`,
          body: {},
          schema: operatorResponseSchema,
        }),
    },
  };
}

export function createApiClient(options: { fetch?: FetchLike; baseUrl?: string } = {}) {
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const t = createTransport(fetchImpl, options.baseUrl ?? "");
  return {
    session: sessionApi(t),
    terminals: terminalsApi(t),
    sync: syncApi(t),
    conflicts: conflictsApi(t),
    ...adminApi(t),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

import type { z } from "zod";
import { compatibilityRoutes } from "./alias-routes";

/**
 * Every HTTP route central serves, as documentation data: the OpenAPI document is built from
 * this table and the shared zod schemas (by their `.meta({ id })`), and a test checks the
 * table against the routes Express really has, both ways.
 */
export interface ApiRoute {
  method: "get" | "post";
  /** Express syntax (`:id`); the document uses `{id}`. */
  path: string;
  /**
   * operator: ADMIN_TOKEN, an operator token or the console's session cookie, with the least
   * role from auth/route-actions.ts; session: the console's cookie; terminal: a terminal key.
   */
  auth: "operator" | "session" | "terminal" | "none";
  tag: "sync" | "hub" | "admin" | "console" | "operations";
  summary: string;
  /** Id of a shared schema for the JSON body. */
  body?: string;
  /** Id of a shared object schema whose fields are query parameters, or an inline schema. */
  query?: string | z.ZodObject;
  /** Status and id of a shared schema for the success answer (omitted: a JSON object). */
  response?: { status: number; schema?: string; contentType?: string };
}

const CORE_ROUTES: readonly ApiRoute[] = [
  { method: "get", path: "/health", auth: "none", tag: "operations", summary: "Liveness", response: { status: 200 } },
  {
    method: "get",
    path: "/ready",
    auth: "none",
    tag: "operations",
    summary: "Readiness: PostgreSQL and Redis answer",
    response: { status: 200 },
  },
  {
    method: "get",
    path: "/metrics",
    auth: "none",
    tag: "operations",
    summary: "Prometheus metrics",
    response: { status: 200, contentType: "text/plain" },
  },
  {
    method: "get",
    path: "/api-docs",
    auth: "none",
    tag: "operations",
    summary: "Swagger UI",
    response: { status: 200, contentType: "text/html" },
  },
  {
    method: "get",
    path: "/api-docs.json",
    auth: "none",
    tag: "operations",
    summary: "This OpenAPI document",
    response: { status: 200 },
  },

  {
    method: "post",
    path: "/api/sync/push",
    auth: "terminal",
    tag: "sync",
    summary: "Push outbox changes; one result per change",
    body: "PushRequest",
    response: { status: 200, schema: "PushResponse" },
  },
  {
    method: "get",
    path: "/api/sync/pull",
    auth: "terminal",
    tag: "sync",
    summary:
      "Pull central changes after a cursor, in the terminal's scope, with the feed's epoch; 409 FEED_RESET for a cursor of another epoch or beyond the head, 410 CURSOR_EXPIRED for one older than the compacted feed",
    query: "PullQuery",
    response: { status: 200, schema: "PullResponse" },
  },
  {
    method: "get",
    path: "/api/sync/snapshot",
    auth: "terminal",
    tag: "sync",
    summary:
      "Bootstrap a new terminal: every row of its scope read in one database snapshot, streamed as NDJSON (a SnapshotHeader line with the feed epoch and cursor, SnapshotRow lines parents first, a SnapshotEnd line with the cursor to pull the feed after and the row count); a stream without its end line was cut short",
    response: { status: 200, schema: "SnapshotLine", contentType: "application/x-ndjson" },
  },
  {
    method: "get",
    path: "/api/sync/own-orders",
    auth: "terminal",
    tag: "sync",
    summary:
      "The terminal's own orders created since a time, with their lines and payments, oldest first, paged (startup --force on a replaced till)",
    query: "OwnOrdersQuery",
    response: { status: 200, schema: "OwnOrdersPage" },
  },
  {
    method: "post",
    path: "/api/sync/acknowledge",
    auth: "terminal",
    tag: "sync",
    summary: "Confirm a cursor applied locally (lag tracking)",
    body: "AcknowledgeRequest",
    response: { status: 200 },
  },
  {
    method: "post",
    path: "/api/sync/heartbeat",
    auth: "terminal",
    tag: "sync",
    summary: "Heartbeat with the agent's status and outbox counts",
    body: "HeartbeatRequest",
    response: { status: 200 },
  },

  {
    method: "post",
    path: "/api/sync/resolve",
    auth: "operator",
    tag: "hub",
    summary: "Resolve a pending (MANUAL_MERGE) conflict",
    body: "ResolveConflictRequest",
    response: { status: 200 },
  },
  {
    method: "post",
    path: "/api/sync/all",
    auth: "operator",
    tag: "hub",
    summary: "sync:trigger FULL to one terminal or all",
    body: "SyncAllRequest",
    response: { status: 202, schema: "SyncAllResponse" },
  },
  {
    method: "get",
    path: "/api/sync/status",
    auth: "operator",
    tag: "hub",
    summary: "Outbox counts per table, from heartbeats",
    query: "SyncStatusQuery",
    response: { status: 200, schema: "SyncStatusResponse" },
  },
  {
    method: "get",
    path: "/api/sync/runs/:id",
    auth: "operator",
    tag: "hub",
    summary:
      "A sync run (sync/all, trigger-manual, scheduled): terminals triggered/acked/completed, records, errors; ?wait=N answers once it completed (202 while still running after N s)",
    query: "SyncRunQuery",
    response: { status: 200, schema: "SyncRunResponse" },
  },
  {
    method: "post",
    path: "/api/sync/emergency-stop",
    auth: "operator",
    tag: "hub",
    summary: "Stop sync of every terminal (push and pull answer 423 SYNC_STOPPED) until resume",
    body: "EmergencyStopRequest",
    response: { status: 200, schema: "EmergencyState" },
  },
  {
    method: "post",
    path: "/api/sync/resume",
    auth: "operator",
    tag: "hub",
    summary: "Lift the emergency stop",
    response: { status: 200, schema: "EmergencyState" },
  },
  {
    method: "get",
    path: "/api/sync/schedules",
    auth: "operator",
    tag: "hub",
    summary: "List sync schedules",
    response: { status: 200, schema: "ScheduleListResponse" },
  },
  {
    method: "post",
    path: "/api/sync/schedules",
    auth: "operator",
    tag: "hub",
    summary: "create, pause, resume, delete or trigger-manual a schedule (cron in UTC)",
    body: "ScheduleRequest",
    response: { status: 200 },
  },

  {
    method: "post",
    path: "/api/stores",
    auth: "operator",
    tag: "admin",
    summary: "Create a store",
    body: "CreateStoreRequest",
    response: { status: 201 },
  },
  {
    method: "post",
    path: "/api/terminals",
    auth: "operator",
    tag: "admin",
    summary: "Create a terminal; its key is shown once",
    body: "CreateTerminalRequest",
    response: { status: 201, schema: "CreateTerminalResponse" },
  },
  {
    method: "get",
    path: "/api/terminals",
    auth: "operator",
    tag: "admin",
    summary: "Terminals with health colour, lag, outbox and last error; feed head and emergency state",
    response: { status: 200, schema: "TerminalListResponse" },
  },
  {
    method: "get",
    path: "/api/terminals/:id",
    auth: "operator",
    tag: "admin",
    summary: "One terminal (id or code): health, outbox per table, sync history, failed changes",
    response: { status: 200, schema: "TerminalDetailResponse" },
  },
  {
    method: "post",
    path: "/api/terminals/:id/rotate-key",
    auth: "operator",
    tag: "admin",
    summary: "Issue a new key; the old one stops working and its sockets are disconnected",
    response: { status: 200, schema: "RotateKeyResponse" },
  },
  {
    method: "post",
    path: "/api/terminals/:id/revoke-key",
    auth: "operator",
    tag: "admin",
    summary: "Revoke every key of a terminal; its sockets are disconnected",
    response: { status: 200, schema: "TerminalStateResponse" },
  },
  {
    method: "post",
    path: "/api/terminals/:id/disable",
    auth: "operator",
    tag: "admin",
    summary: "Disable a terminal (reason audited); its sockets are disconnected",
    body: "TerminalReasonRequest",
    response: { status: 200, schema: "TerminalStateResponse" },
  },
  {
    method: "post",
    path: "/api/terminals/:id/enable",
    auth: "operator",
    tag: "admin",
    summary: "Enable a disabled terminal (OFFLINE until its next heartbeat)",
    response: { status: 200, schema: "TerminalStateResponse" },
  },
  {
    method: "get",
    path: "/api/stores",
    auth: "operator",
    tag: "admin",
    summary: "Every store",
    response: { status: 200, schema: "StoreListResponse" },
  },
  {
    method: "post",
    path: "/api/terminals/:id/pause",
    auth: "operator",
    tag: "admin",
    summary: "Pause one terminal: its push and pull answer 423 SYNC_STOPPED until resumed",
    body: "TerminalReasonRequest",
    response: { status: 200, schema: "TerminalStateResponse" },
  },
  {
    method: "post",
    path: "/api/terminals/:id/resume",
    auth: "operator",
    tag: "admin",
    summary: "Resume a paused terminal",
    response: { status: 200, schema: "TerminalStateResponse" },
  },
  {
    method: "post",
    path: "/api/products",
    auth: "operator",
    tag: "admin",
    summary: "Create or update a product (enters the change feed)",
    body: "UpsertProductRequest",
    response: { status: 200 },
  },
  {
    method: "post",
    path: "/api/stock",
    auth: "operator",
    tag: "admin",
    summary:
      "A stock movement (COUNT, the default; RECEIVE; DAMAGE; TRANSFER between stores): appended to the stock ledger, the quantity follows (enters the change feed)",
    body: "StockMovementRequest",
    response: { status: 200, schema: "StockMovementResponse" },
  },
  {
    method: "get",
    path: "/api/stock/:storeId/:productId/history",
    auth: "operator",
    tag: "admin",
    summary:
      "The stock ledger of one item, newest first, paged: every adjustment from tills and central with who and why",
    query: "StockHistoryQuery",
    response: { status: 200, schema: "StockHistoryPage" },
  },
  {
    method: "get",
    path: "/api/conflicts",
    auth: "operator",
    tag: "admin",
    summary: "The conflict log, newest first, filtered and paged",
    query: "ConflictQuery",
    response: { status: 200, schema: "ConflictPage" },
  },
  {
    method: "get",
    path: "/api/conflicts/:id",
    auth: "operator",
    tag: "admin",
    summary: "One conflict with both sides",
    response: { status: 200, schema: "ConflictResponse" },
  },

  {
    method: "post",
    path: "/api/session",
    auth: "none",
    tag: "console",
    summary: "Sign in with an operator token: sets the httpOnly session cookie (429 after repeated failures)",
    body: "SignInRequest",
    response: { status: 200, schema: "Session" },
  },
  {
    method: "get",
    path: "/api/session",
    auth: "session",
    tag: "console",
    summary: "The signed-in operator, expiry and CSRF token",
    response: { status: 200, schema: "Session" },
  },
  {
    method: "post",
    path: "/api/session/sign-out",
    auth: "session",
    tag: "console",
    summary: "End the session and clear its cookie",
    response: { status: 200, schema: "SignOutResponse" },
  },
  {
    method: "get",
    path: "/api/operators",
    auth: "operator",
    tag: "console",
    summary: "Named operators, revoked ones included",
    response: { status: 200, schema: "OperatorListResponse" },
  },
  {
    method: "post",
    path: "/api/operators",
    auth: "operator",
    tag: "console",
    summary: "Create an operator; its token is shown once",
    body: "CreateOperatorRequest",
    response: { status: 201, schema: "CreateOperatorResponse" },
  },
  {
    method: "post",
    path: "/api/operators/:id/revoke",
    auth: "operator",
    tag: "console",
    summary: "Revoke an operator: its token, sessions and live sockets end",
    response: { status: 200, schema: "OperatorResponse" },
  },
  {
    method: "get",
    path: "/api/audit",
    auth: "operator",
    tag: "console",
    summary: "The audit log of operator actions, newest first, filtered and paged",
    query: "AuditQuery",
    response: { status: 200, schema: "AuditPage" },
  },
  {
    method: "get",
    path: "/dashboard",
    auth: "none",
    tag: "console",
    summary: "The control center (every /dashboard/* page too; bull-board at /dashboard/queues behind its sign-in)",
    response: { status: 200, contentType: "text/html" },
  },
];

/** Every route: the core ones and the compatibility aliases of the sync guides (alias-routes.ts). */
export const API_ROUTES: readonly ApiRoute[] = [...CORE_ROUTES, ...compatibilityRoutes(CORE_ROUTES)];

import { z } from "zod";

/**
 * Every HTTP route central serves, as documentation data: the OpenAPI document is built from
 * this table and the shared zod schemas (by their `.meta({ id })`), and a test checks the
 * table against the routes Express really has, both ways.
 */
export interface ApiRoute {
  method: "get" | "post";
  /** Express syntax (`:id`); the document uses `{id}`. */
  path: string;
  auth: "admin" | "terminal" | "none";
  tag: "sync" | "hub" | "admin" | "operations";
  summary: string;
  /** Id of a shared schema for the JSON body. */
  body?: string;
  /** Id of a shared object schema whose fields are query parameters, or an inline schema. */
  query?: string | z.ZodObject;
  /** Status and id of a shared schema for the success answer (omitted: a JSON object). */
  response?: { status: number; schema?: string; contentType?: string };
}

export const API_ROUTES: readonly ApiRoute[] = [
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
    summary: "Pull central changes after a cursor, in the terminal's scope",
    query: "PullQuery",
    response: { status: 200, schema: "PullResponse" },
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
    auth: "admin",
    tag: "hub",
    summary: "Resolve a pending (MANUAL_MERGE) conflict",
    body: "ResolveConflictRequest",
    response: { status: 200 },
  },
  {
    method: "post",
    path: "/api/sync/all",
    auth: "admin",
    tag: "hub",
    summary: "sync:trigger FULL to one terminal or all",
    body: "SyncAllRequest",
    response: { status: 202, schema: "SyncAllResponse" },
  },
  {
    method: "get",
    path: "/api/sync/status",
    auth: "admin",
    tag: "hub",
    summary: "Outbox counts per table, from heartbeats",
    query: "SyncStatusQuery",
    response: { status: 200, schema: "SyncStatusResponse" },
  },
  {
    method: "post",
    path: "/api/sync/emergency-stop",
    auth: "admin",
    tag: "hub",
    summary: "Pause every terminal, also those connecting later",
    body: "EmergencyStopRequest",
    response: { status: 200, schema: "EmergencyState" },
  },
  {
    method: "post",
    path: "/api/sync/resume",
    auth: "admin",
    tag: "hub",
    summary: "Lift the emergency stop",
    response: { status: 200, schema: "EmergencyState" },
  },
  {
    method: "get",
    path: "/api/sync/schedules",
    auth: "admin",
    tag: "hub",
    summary: "List sync schedules",
    response: { status: 200 },
  },
  {
    method: "post",
    path: "/api/sync/schedules",
    auth: "admin",
    tag: "hub",
    summary: "create, pause, resume, delete or trigger-manual a schedule (cron in UTC)",
    body: "ScheduleRequest",
    response: { status: 200 },
  },

  {
    method: "post",
    path: "/api/stores",
    auth: "admin",
    tag: "admin",
    summary: "Create a store",
    body: "CreateStoreRequest",
    response: { status: 201 },
  },
  {
    method: "post",
    path: "/api/terminals",
    auth: "admin",
    tag: "admin",
    summary: "Create a terminal; its key is shown once",
    body: "CreateTerminalRequest",
    response: { status: 201, schema: "CreateTerminalResponse" },
  },
  {
    method: "get",
    path: "/api/terminals",
    auth: "admin",
    tag: "admin",
    summary: "Terminals with health colour and lag",
    response: { status: 200 },
  },
  {
    method: "post",
    path: "/api/terminals/:id/rotate-key",
    auth: "admin",
    tag: "admin",
    summary: "Issue a new key; the old one stops working and its sockets are disconnected",
    response: { status: 200 },
  },
  {
    method: "post",
    path: "/api/terminals/:id/disable",
    auth: "admin",
    tag: "admin",
    summary: "Disable a terminal; its sockets are disconnected",
    response: { status: 200 },
  },
  {
    method: "post",
    path: "/api/products",
    auth: "admin",
    tag: "admin",
    summary: "Create or update a product (enters the change feed)",
    body: "UpsertProductRequest",
    response: { status: 200 },
  },
  {
    method: "post",
    path: "/api/stock",
    auth: "admin",
    tag: "admin",
    summary: "Set a stock count (enters the change feed)",
    body: "SetStockRequest",
    response: { status: 200 },
  },
  {
    method: "get",
    path: "/api/conflicts",
    auth: "admin",
    tag: "admin",
    summary: "The conflict log",
    query: z.object({ status: z.enum(["PENDING", "RESOLVED"]).optional() }),
    response: { status: 200 },
  },
];

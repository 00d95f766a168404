import { z } from "zod";
import "@tillsync/shared"; // registers every shared schema's id in zod's global registry
import { ACTION_ROLES } from "@tillsync/shared";
import { READ_ROLES, ROUTE_ACTIONS } from "../auth/route-actions";
import { API_ROUTES, type ApiRoute } from "./api-routes";

type Json = Record<string, unknown>;

const ref = (id: string): Json => ({ $ref: `#/components/schemas/${id}` });

/** Every shared schema with an id, as OpenAPI components (request side: what clients send). */
function components(): Record<string, Json> {
  const out = z.toJSONSchema(z.globalRegistry, {
    target: "openapi-3.0",
    io: "input",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  for (const s of Object.values(out.schemas)) delete s.$id;
  return out.schemas;
}

function queryParameters(query: ApiRoute["query"], schemas: Record<string, Json>): Json[] {
  if (!query) return [];
  const schema =
    typeof query === "string"
      ? schemas[query]
      : (z.toJSONSchema(query, { target: "openapi-3.0", io: "input", unrepresentable: "any" }) as Json);
  if (!schema) throw new Error(`openapi: no shared schema with id ${String(query)}`);
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => ({ name, in: "query", required: required.has(name), schema: s }));
}

function operation(r: ApiRoute, schemas: Record<string, Json>): Json {
  const pathParams = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    schema: r.path.startsWith("/api/terminals/")
      ? { type: "string", description: "the terminal's UUID or its code" }
      : { type: "string", format: "uuid" },
  }));
  if (r.body && !schemas[r.body]) throw new Error(`openapi: no shared schema with id ${r.body}`);
  const contentType = r.response?.contentType ?? "application/json";
  const ok = r.response?.schema
    ? ref(r.response.schema)
    : contentType === "application/json"
      ? { type: "object" }
      : { type: "string" };
  const errors: Json = { description: "error", content: { "application/json": { schema: ref("ErrorBody") } } };
  return {
    tags: [r.tag],
    summary: r.summary,
    ...(r.auth !== "operator" ? {} : { description: `Least role: ${leastRole(r)}.` }),
    security: SECURITY[r.auth],
    parameters: [...pathParams, ...queryParameters(r.query, schemas)],
    ...(r.body ? { requestBody: { required: true, content: { "application/json": { schema: ref(r.body) } } } } : {}),
    responses: {
      [String(r.response?.status ?? 200)]: { description: "success", content: { [contentType]: { schema: ok } } },
      ...(r.body || r.query || r.path.includes(":")
        ? { "400": { ...errors, description: "malformed input; the message names the field" } }
        : {}),
      ...(r.auth !== "none"
        ? { "401": { ...errors, description: "missing, unknown, revoked or rotated-out credential" } }
        : {}),
    },
  };
}

const SECURITY: Record<ApiRoute["auth"], Json[]> = {
  none: [],
  terminal: [{ terminalKey: [] }],
  session: [{ consoleSession: [] }],
  operator: [{ operatorToken: [] }, { consoleSession: [] }],
};

/** The least role of an operator route, from the same table the action guard enforces. */
function leastRole(r: ApiRoute): string {
  const key = `${r.method.toUpperCase()} ${r.path}`;
  if (r.method === "get") return READ_ROLES[key] ?? "viewer";
  const a = ROUTE_ACTIONS[key];
  if (a === undefined) return "none (refused)";
  return typeof a === "string" ? `${ACTION_ROLES[a]} (${a})` : "by action (see ACTION_ROLES)";
}

/** The OpenAPI 3 document of central's whole HTTP API. */
export function buildOpenApiDocument(): Json {
  const schemas = components();
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of API_ROUTES) {
    const p = r.path.replace(/:(\w+)/g, "{$1}");
    (paths[p] ??= {})[r.method] = operation(r, schemas);
  }
  return {
    openapi: "3.0.3",
    info: {
      title: "tillsync central hub",
      version: "0.1.0",
      description:
        "Offline-first sync for point-of-sale. Terminal endpoints take `Authorization: Bearer <terminal key>` and `x-tillsync-protocol: <the agent's protocol version>` (absent: protocol 1; a protocol central does not serve is answered 426 UPGRADE_REQUIRED, saying which side to upgrade, except on the heartbeat), with `x-tillsync-schema: <newest terminal migration>`; operator endpoints take `Authorization: Bearer <ADMIN_TOKEN or operator token>` or the console's session cookie (with `x-csrf-token` on changes), and need the least role named on each. " +
        "Real-time events go over socket.io on the same port: connect with `io(url, { auth: { token: <terminal key>, protocol: <protocol version> } })`; events terminal:register, sync:trigger, sync:ack, sync:pause, sync:resume; a terminal that registers with an acknowledgement callback is answered `{ cursorAck }`, and when true may send `sync:cursor` `{ terminalId, cursor }` (with a callback, answered `{ ok }`) instead of POST /api/sync/acknowledge; when the answer also says `cursorOnAck`, `sync:ack` may carry `{ cursor, epoch }` (with a callback, answered `{ ok }`), recorded only if it is a position of central's current feed.",
    },
    tags: [
      { name: "sync", description: "terminal endpoints" },
      { name: "hub", description: "triggers, status, emergency stop, schedules, conflicts (admin)" },
      { name: "admin", description: "stores, terminals, catalogue and stock" },
      { name: "console", description: "sessions, operators, audit log, the control center" },
      { name: "operations", description: "health, metrics, docs" },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        operatorToken: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN or a named operator's token" },
        consoleSession: {
          type: "apiKey",
          in: "cookie",
          name: "tillsync_session",
          description: "the console's session (POST /api/session); state-changing requests also send x-csrf-token",
        },
        terminalKey: { type: "http", scheme: "bearer", description: "the terminal's key (tsk_…)" },
      },
    },
  };
}

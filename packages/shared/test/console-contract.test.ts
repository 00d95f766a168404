import { z } from "zod";
import {
  ACTION_ROLES,
  adminSocketEvents,
  auditQuerySchema,
  canPerform,
  conflictQuerySchema,
  createOperatorRequestSchema,
  GUARDED_ACTIONS,
  OPERATOR_ROLES,
  roleAllows,
  rotateKeyRequestSchema,
  signInRequestSchema,
  terminalHealthSchema,
} from "../src";
import * as browser from "../src/browser";
import * as full from "../src";

/** The control center's API contract (docs/control-center-api.md) as shared schemas. */
describe("control center contract", () => {
  it("orders roles viewer < operator < admin", () => {
    const allowed = OPERATOR_ROLES.flatMap((have) =>
      OPERATOR_ROLES.filter((need) => roleAllows(have, need)).map((need) => `${have}>=${need}`),
    );
    expect(allowed).toEqual([
      "viewer>=viewer",
      "operator>=viewer",
      "operator>=operator",
      "admin>=viewer",
      "admin>=operator",
      "admin>=admin",
    ]);
  });

  it("lets a viewer perform no guarded action, an admin every one", () => {
    expect(GUARDED_ACTIONS.filter((a) => canPerform("viewer", a))).toEqual([]);
    expect(GUARDED_ACTIONS.filter((a) => !canPerform("admin", a))).toEqual([]);
    expect(canPerform("operator", "sync.emergency-stop")).toBe(true);
    expect(canPerform("operator", "conflict.resolve")).toBe(true);
    expect(canPerform("operator", "terminal.rotate-key")).toBe(false);
    expect(canPerform("operator", "operator.create")).toBe(false);
    expect(Object.values(ACTION_ROLES)).not.toContain("viewer");
  });

  it("registers every new schema in the OpenAPI registry and can render it", () => {
    const doc = z.toJSONSchema(z.globalRegistry, {
      target: "openapi-3.0",
      io: "input",
      unrepresentable: "any",
      uri: (id) => `#/components/schemas/${id}`,
    }) as { schemas: Record<string, unknown> };
    for (const id of [
      "Session",
      "SignInRequest",
      "Operator",
      "CreateOperatorRequest",
      "CreateOperatorResponse",
      "AuditEntry",
      "AuditQuery",
      "AuditPage",
      "ConflictEntry",
      "ConflictPage",
      "ConflictQuery",
      "TerminalListResponse",
      "TerminalDetailResponse",
      "RotateKeyRequest",
      "ScheduleListResponse",
      "AdminTerminalStatusEvent",
      "AdminEmergencyStopEvent",
    ])
      expect(Object.keys(doc.schemas)).toContain(id);
  });

  it("refuses unknown fields and names the bad one", () => {
    expect(signInRequestSchema.safeParse({ token: "x", extra: 1 }).success).toBe(false);
    expect(signInRequestSchema.safeParse({ token: "" }).error?.issues[0]?.message).toBe("token is required");
    expect(createOperatorRequestSchema.safeParse({ name: "ann", role: "root" }).error?.issues[0]?.message).toMatch(
      /role must be one of viewer, operator, admin/,
    );
    expect(createOperatorRequestSchema.safeParse({ name: "<script>", role: "viewer" }).success).toBe(false);
    expect(rotateKeyRequestSchema.parse({})).toEqual({ graceSeconds: 0 });
    expect(rotateKeyRequestSchema.safeParse({ graceSeconds: -1 }).success).toBe(false);
  });

  it("parses paged queries from query strings", () => {
    expect(auditQuerySchema.parse({ limit: "20", action: "sync.emergency-stop" })).toEqual({
      limit: 20,
      action: "sync.emergency-stop",
    });
    expect(auditQuerySchema.safeParse({ action: "drop.tables" }).success).toBe(false);
    expect(auditQuerySchema.safeParse({ sort: "asc" }).success).toBe(false);
    expect(conflictQuerySchema.parse({})).toEqual({ limit: 50 });
    expect(conflictQuerySchema.safeParse({ limit: "1000" }).success).toBe(false);
  });

  it("keeps the existing terminal health shape valid (new fields are optional)", () => {
    const old = {
      id: "8b3c4a4e-2f0d-4c8e-9a43-8d1f1c9e0a11",
      name: "Till 1",
      storeId: "1b3c4a4e-2f0d-4c8e-9a43-8d1f1c9e0a11",
      status: "ONLINE",
      health: "green",
      agentStatus: "idle",
      lastSeenAt: null,
      lastSyncAt: null,
      ackedCursor: "0",
      lag: 0,
      outbox: { pending: 0, failed: 0, synced: 0, conflicts: 0 },
    };
    expect(terminalHealthSchema.safeParse(old).success).toBe(true);
  });

  it("types each admin socket event", () => {
    expect(Object.keys(adminSocketEvents).sort()).toEqual([
      "conflict:created",
      "conflict:resolved",
      "sync:emergency-resume",
      "sync:emergency-stop",
      "terminal:heartbeat",
      "terminal:status",
    ]);
  });

  it("exposes everything but the migration readers to browsers", () => {
    const missing = Object.keys(full).filter((k) => !(k in browser));
    expect(missing.sort()).toEqual(
      ["MigrationChecksumError", "PRISMA_DIR", "migrationsDir", "readMigrationFiles"].sort(),
    );
  });
});

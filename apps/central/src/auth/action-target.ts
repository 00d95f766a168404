import type { GuardedAction } from "@tillsync/shared";
import type { AuditRecord } from "../store/audit-log";

type Json = Record<string, unknown> | undefined;

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);
const field = (o: unknown, k: string): unknown => (o && typeof o === "object" ? (o as Json)?.[k] : undefined);

/**
 * What a guarded action acted on, for the audit log: from the route's parameters, the request
 * body and, for creations, the answer (whose id did not exist before).
 */
export function actionTarget(
  action: GuardedAction,
  params: Record<string, string>,
  body: unknown,
  answer: unknown,
): AuditRecord["target"] {
  const [group] = action.split(".") as [string];
  switch (group) {
    case "terminal": {
      const created = field(answer, "terminal");
      return {
        type: "terminal",
        id: params.id ?? str(field(created, "id")) ?? str(field(body, "id")),
        label: str(field(body, "name")),
      };
    }
    case "sync": {
      const terminalId = str(field(body, "terminalId"));
      if (action === "sync.trigger" && terminalId) return { type: "terminal", id: terminalId };
      return { type: "sync", id: null, label: action === "sync.trigger" ? "all terminals" : null };
    }
    case "conflict":
      return { type: "conflict", id: str(field(body, "conflictId")) };
    case "schedule":
      return { type: "schedule", id: str(field(body, "scheduleId")) ?? str(field(field(answer, "schedule"), "id")) };
    case "store":
      return {
        type: "store",
        id: str(field(field(answer, "store"), "id")) ?? str(field(body, "id")),
        label: str(field(body, "name")),
      };
    case "product":
      return {
        type: "product",
        id: str(field(field(answer, "product"), "id")) ?? str(field(body, "id")),
        label: str(field(body, "sku")),
      };
    case "stock": {
      // A transfer is audited on its source item, naming the destination.
      const storeId = str(field(body, "storeId")) ?? str(field(body, "fromStoreId"));
      const productId = str(field(body, "productId"));
      const to = str(field(body, "toStoreId"));
      return {
        type: "stock",
        id: storeId && productId ? `${storeId}/${productId}` : null,
        ...(to ? { label: `transfer to store ${to}` } : {}),
      };
    }
    default: {
      const op = field(answer, "operator");
      return {
        type: "operator",
        id: params.id ?? str(field(op, "id")),
        label: str(field(op, "name")) ?? str(field(body, "name")),
      };
    }
  }
}

/** The operator's reason, where the body gives one. */
export function actionReason(body: unknown): string | null {
  const r = field(body, "reason");
  return typeof r === "string" && r.trim() ? r.trim().slice(0, 500) : null;
}

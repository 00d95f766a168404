import { z } from "zod";

/**
 * Operator roles of the control center, weakest first. A role may do everything the roles
 * before it may: a viewer reads, an operator also runs the sync (stop/resume, sync now,
 * resolve conflicts, schedules, pause a terminal), an admin also manages keys, terminals,
 * stores, the catalogue and operators. `ADMIN_TOKEN` signs in as the built-in admin "owner".
 */
export const OPERATOR_ROLES = ["viewer", "operator", "admin"] as const;
export const operatorRoleSchema = z
  .enum(OPERATOR_ROLES, { message: `role must be one of ${OPERATOR_ROLES.join(", ")}` })
  .meta({ id: "OperatorRole" });
export type OperatorRole = z.infer<typeof operatorRoleSchema>;

/** True when `have` is at least `need` (viewer < operator < admin). */
export function roleAllows(have: OperatorRole, need: OperatorRole): boolean {
  return OPERATOR_ROLES.indexOf(have) >= OPERATOR_ROLES.indexOf(need);
}

/**
 * Every state-changing action of the admin API, with the least role it needs. Central checks
 * a request against this table (403 FORBIDDEN below it) and writes the same name into the
 * audit log; the console hides the buttons of actions the signed-in role lacks. Reads need
 * `viewer`, except GET /api/operators (admin).
 */
export const ACTION_ROLES = {
  "terminal.create": "admin",
  "terminal.rotate-key": "admin",
  "terminal.revoke-key": "admin",
  "terminal.disable": "admin",
  "terminal.enable": "admin",
  "terminal.pause": "operator",
  "terminal.resume": "operator",
  "sync.trigger": "operator",
  "sync.emergency-stop": "operator",
  "sync.resume": "operator",
  "conflict.resolve": "operator",
  "schedule.create": "operator",
  "schedule.update": "operator",
  "schedule.pause": "operator",
  "schedule.resume": "operator",
  "schedule.delete": "operator",
  "schedule.trigger": "operator",
  "store.create": "admin",
  "product.upsert": "admin",
  "stock.set": "admin",
  "stock.receive": "admin",
  "stock.damage": "admin",
  "stock.transfer": "admin",
  "operator.create": "admin",
  "operator.revoke": "admin",
} as const satisfies Record<string, OperatorRole>;
export type GuardedAction = keyof typeof ACTION_ROLES;
export const GUARDED_ACTIONS = Object.keys(ACTION_ROLES) as GuardedAction[];

/** Whether `role` may perform `action`. */
export function canPerform(role: OperatorRole, action: GuardedAction): boolean {
  return roleAllows(role, ACTION_ROLES[action]);
}

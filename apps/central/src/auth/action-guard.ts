import type { NextFunction, Request, RequestHandler, Response } from "express";
import {
  ACTION_ROLES,
  ForbiddenError,
  NotFoundError,
  roleAllows,
  type AuditOutcome,
  type GuardedAction,
} from "@tillsync/shared";
import type { AuditLog, AuditRecord } from "../store/audit-log";
import { actionReason, actionTarget } from "./action-target";
import { actionOf, matchRoute, READ_ROLES } from "./route-actions";

/** A guarded action that succeeded: what the /admin events are made from. */
export interface CompletedAction {
  action: GuardedAction;
  target: AuditRecord["target"];
  /** The JSON the route answered. */
  answer: unknown;
}

export interface ActionGuardDeps {
  audit: Pick<AuditLog, "record">;
  afterAction?: (done: CompletedAction) => void;
  log: (msg: string, err: unknown) => void;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return "success";
  return status === 403 ? "denied" : "failed";
}

/**
 * Role checks and the audit log for every operator route, whoever wrote the route: reads need
 * viewer (READ_ROLES name the exceptions); a state-changing request is looked up in
 * ROUTE_ACTIONS, refused with 403 below its action's role, and recorded in the audit log with
 * its outcome — allowed or denied, succeeded or failed — before its answer leaves, so a client
 * that saw the answer finds the entry. Runs after operatorAuth (req.operator is set).
 */
export function actionGuard(deps: ActionGuardDeps): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const path = req.baseUrl + req.path;
    const operator = req.operator!;
    const matched = matchRoute(SAFE_METHODS.has(req.method) ? "GET" : req.method, path);
    if (SAFE_METHODS.has(req.method)) {
      const need = (matched && READ_ROLES[matched.key]) ?? "viewer";
      if (!roleAllows(operator.role, need))
        return next(new ForbiddenError(`role ${operator.role} may not read ${path} (needs ${need})`));
      return next();
    }
    const action = matched && actionOf(matched.key, req.body);
    // Fail closed: a state-changing route nobody gave a role is unreachable.
    if (!matched || !action) return next(new NotFoundError(`no route for ${req.method} ${path}`));
    auditAnswer(deps, req, res, action, matched.params);
    const need = ACTION_ROLES[action];
    if (!roleAllows(operator.role, need))
      return next(new ForbiddenError(`role ${operator.role} may not ${action} (needs ${need})`));
    next();
  };
}

/** Writes the audit entry when the route answers (success or error), then sends the answer. */
function auditAnswer(
  deps: ActionGuardDeps,
  req: Request,
  res: Response,
  action: GuardedAction,
  params: Record<string, string>,
): void {
  const send = res.json.bind(res);
  let answered = false;
  res.json = (answer: unknown) => {
    if (answered) return send(answer);
    answered = true;
    const outcome = outcomeOf(res.statusCode);
    const target = actionTarget(action, params, req.body, answer);
    const error = (answer as { error?: { message?: unknown } } | undefined)?.error?.message;
    const entry: AuditRecord = {
      operator: req.operator!,
      action,
      target,
      outcome,
      reason: actionReason(req.body),
      detail: typeof error === "string" ? error : null,
    };
    deps.audit
      .record(entry)
      .catch((err: unknown) => deps.log(`audit entry for ${action} could not be written`, err))
      .finally(() => {
        send(answer);
        if (outcome === "success") deps.afterAction?.({ action, target, answer });
      });
    return res;
  };
}

import type { PushResult } from "@tillsync/shared";
import type { AppliedRecord } from "../store/applied-changes";
import type { PreparedChange } from "./push-prepare";

/**
 * Step 2 of a push: splits off the changes central has applied before (their records come
 * from applied_changes). Each answers DUPLICATE with the result it was first given, also when
 * that first attempt's response was lost (G1); an id another terminal used is REJECTED (a
 * terminal acts only as itself, G8). The rest are fresh and go on to be decided.
 */
export function splitDuplicates(
  prepared: PreparedChange[],
  records: AppliedRecord[],
  terminalId: string,
): { fresh: PreparedChange[]; results: Map<string, PushResult> } {
  const results = new Map<string, PushResult>();
  for (const d of records) {
    const changeId = d.changeId as PushResult["changeId"];
    results.set(
      d.changeId,
      d.terminalId !== terminalId
        ? { changeId, status: "REJECTED", reason: "changeId was already used by another terminal", retryable: false }
        : { changeId, status: "DUPLICATE", original: d.result },
    );
  }
  return { fresh: prepared.filter((p) => !results.has(p.change.changeId)), results };
}

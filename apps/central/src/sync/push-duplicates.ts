import type { PushResult } from "@tillsync/shared";
import type { AppliedRecord } from "../store/applied-changes";
import type { PreparedChange } from "./push-prepare";

/**
 * Step 2 of a push: splits off the changes this terminal pushed before and central applied
 * (their records come from applied_changes, looked up for this terminal only). Each answers
 * DUPLICATE with the result it was first given, also when that first attempt's response was
 * lost (G1). Another terminal's record under the same id is never among them: that id is
 * another change, judged afresh (ownership included, G8), and its result is not this
 * terminal's to see. The rest are fresh and go on to be decided.
 */
export function splitDuplicates(
  prepared: PreparedChange[],
  records: AppliedRecord[],
): { fresh: PreparedChange[]; results: Map<string, PushResult> } {
  const results = new Map<string, PushResult>();
  for (const d of records) {
    const changeId = d.changeId as PushResult["changeId"];
    results.set(d.changeId, { changeId, status: "DUPLICATE", original: d.result });
  }
  return { fresh: prepared.filter((p) => !results.has(p.change.changeId)), results };
}

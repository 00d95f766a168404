import type { TerminalListResponse } from "@tillsync/shared/browser";
import { useEffect } from "preact/hooks";
import { upsertTerminal, withEmergency } from "../logic/live-state";
import { useConsole } from "./console-context";
import { useResource, type Resource } from "./use-resource";

/**
 * The fleet list, kept live: terminal events replace that terminal's row in place (no
 * request); an emergency stop or resume changes every terminal's colour, so it refetches.
 */
export function useTerminalList(): Resource<TerminalListResponse> {
  const { api, live } = useConsole();
  const list = useResource(() => api.terminals.list(), [], {
    refetchOn: ["sync:emergency-stop", "sync:emergency-resume"],
  });
  const { update } = list;
  useEffect(() => {
    const offs = [
      live.on("terminal:status", (p) => update((l) => upsertTerminal(l, p.terminal))),
      live.on("terminal:heartbeat", (p) => update((l) => upsertTerminal(l, p.terminal))),
      live.on("sync:emergency-stop", (p) => update((l) => withEmergency(l, p.emergency))),
      live.on("sync:emergency-resume", (p) => update((l) => withEmergency(l, p.emergency))),
    ];
    return () => offs.forEach((off) => off());
  }, [live, update]);
  return list;
}

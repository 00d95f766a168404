import type { EmergencyState, TerminalHealth, TerminalListResponse } from "@tillsync/shared/browser";

/** Applies the admin namespace's events to the console's copy of the terminal list. */

/** Replaces the terminal with the event's copy (or adds a new one); the list keeps its order. */
export function upsertTerminal(list: TerminalListResponse, terminal: TerminalHealth): TerminalListResponse {
  const at = list.terminals.findIndex((t) => t.id === terminal.id);
  const terminals = [...list.terminals];
  if (at === -1) terminals.push(terminal);
  else terminals[at] = terminal;
  return { ...list, terminals };
}

export function withEmergency(list: TerminalListResponse, emergency: EmergencyState): TerminalListResponse {
  return { ...list, emergency };
}

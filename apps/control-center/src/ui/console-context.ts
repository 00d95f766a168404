import { canPerform, type GuardedAction, type Session } from "@tillsync/shared/browser";
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { ApiClient } from "../api/api-client";
import type { LiveFeed } from "../live/live-feed";

/** What every signed-in page reaches: the API client, the live feed and the session. */
export interface ConsoleContext {
  api: ApiClient;
  live: LiveFeed;
  session: Session;
  /** The session ended (401 anywhere, sign-out, expiry): back to sign-in. */
  signedOut(message?: string): void;
}

export const ConsoleCtx = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const ctx = useContext(ConsoleCtx);
  if (!ctx) throw new Error("useConsole outside a signed-in console");
  return ctx;
}

/** Whether the signed-in role may do this; hides the button (central still enforces it with 403). */
export function useCan(): (action: GuardedAction) => boolean {
  const { session } = useConsole();
  return (action) => canPerform(session.operator.role, action);
}

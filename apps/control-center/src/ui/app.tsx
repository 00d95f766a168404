import type { Session } from "@tillsync/shared/browser";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { ApiClient } from "../api/api-client";
import { connectLiveFeed } from "../live/live-feed";
import { routeHref, type Route } from "../logic/routes";
import { ConsoleCtx, type ConsoleContext } from "./console-context";
import { Loading } from "./common";
import { Pages } from "./pages";
import { navigate, useRoute } from "./router";
import { Shell } from "./shell";
import { SignInPage } from "./sign-in-page";

type SessionState =
  { kind: "checking" } | { kind: "signed-out"; notice: string | null } | { kind: "signed-in"; session: Session };

function signInHref(from: Route): string {
  const next = from.page === "sign-in" ? from.next : routeHref(from);
  return routeHref({ page: "sign-in", next: next === "/dashboard" ? null : next });
}

/** The console: checks the session, shows sign-in or the signed-in pages. */
export function App({ api }: { api: ApiClient }) {
  const route = useRoute();
  const [state, setState] = useState<SessionState>({ kind: "checking" });

  const signedOut = (notice: string | null = "Your session has ended. Sign in again.") => {
    setState({ kind: "signed-out", notice });
    if (route.page !== "sign-in") navigate(signInHref(route), true);
  };

  useEffect(() => {
    api.session.get().then(
      (session) => setState({ kind: "signed-in", session }),
      () => signedOut(null),
    );
  }, []);

  // Signed in already (another tab, or a bookmark of the sign-in page): go where it pointed.
  const leaveSignIn = state.kind === "signed-in" && route.page === "sign-in";
  useEffect(() => {
    if (leaveSignIn) navigate(route.next ?? "/dashboard", true);
  }, [leaveSignIn]);

  if (state.kind === "checking" || leaveSignIn) return <Loading what="the control center" />;
  if (state.kind === "signed-out") {
    const onSignedIn = (session: Session) => setState({ kind: "signed-in", session });
    return <SignInPage api={api} notice={state.notice} onSignedIn={onSignedIn} />;
  }
  return <SignedIn api={api} session={state.session} route={route} signedOut={signedOut} />;
}

function SignedIn(props: { api: ApiClient; session: Session; route: Route; signedOut(n?: string | null): void }) {
  const live = useMemo(() => connectLiveFeed(), [props.session.csrfToken]);
  useEffect(() => () => live.close(), [live]);
  useEffect(() => {
    // The cookie stops working at expiresAt; say so then rather than on the next failed click.
    const ms = Date.parse(props.session.expiresAt) - Date.now();
    const t = setTimeout(
      () => props.signedOut("Your session expired. Sign in again."),
      Math.min(Math.max(0, ms), 2 ** 31 - 1),
    );
    const off = live.onState((s) => s === "signed-out" && props.signedOut());
    return () => (clearTimeout(t), off());
  }, [live, props.session.expiresAt]);
  const ctx: ConsoleContext = { api: props.api, live, session: props.session, signedOut: (m) => props.signedOut(m) };
  return (
    <ConsoleCtx.Provider value={ctx}>
      <Shell route={props.route}>
        <Pages route={props.route} />
      </Shell>
    </ConsoleCtx.Provider>
  );
}

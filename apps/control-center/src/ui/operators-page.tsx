import { OPERATOR_ROLES, type Operator, type OperatorRole } from "@tillsync/shared/browser";
import { useState } from "preact/hooks";
import { formatTime } from "../logic/format";
import { useCan, useConsole } from "./console-context";
import { ErrorBanner, Loading, Notice, PageHeader } from "./common";
import { KeyReveal } from "./key-reveal";
import { useAction } from "./use-action";
import { useResource } from "./use-resource";

const ROLE_TEXT: Record<OperatorRole, string> = {
  viewer: "viewer: reads everything, changes nothing",
  operator: "operator: also stop/resume, sync now, pause terminals, resolve conflicts, schedules",
  admin: "admin: also terminals and keys, stores, catalogue, operators",
};

/** Named operators (admin): create one (its token shown once), revoke one. */
export function OperatorsPage() {
  const { api } = useConsole();
  const can = useCan();
  const list = useResource(() => api.operators.list(), []);
  const action = useAction();
  const [token, setToken] = useState<{ name: string; token: string } | null>(null);
  const create = async (name: string, role: OperatorRole) => {
    const r = await action.run(() => api.operators.create({ name, role }));
    if (!r) return;
    setToken({ name: r.operator.name, token: r.token });
    list.reload();
  };
  const revoke = async (o: Operator) => {
    if (await action.run(() => api.operators.revoke(o.id), `${o.name} revoked; their sessions have ended.`))
      list.reload();
  };
  return (
    <section data-testid="operators-page">
      <PageHeader title="Operators" />
      {token ? (
        <KeyReveal
          title={`Token for ${token.name}`}
          secret={token.token}
          testId="operator-token"
          onDismiss={() => setToken(null)}
          hint="They sign in to the console with it, or send it as a Bearer token to the API."
        />
      ) : null}
      {can("operator.create") ? <CreateOperator busy={action.busy} onCreate={create} /> : null}
      {action.done ? <Notice testId="operator-done">{action.done}</Notice> : null}
      <ErrorBanner error={action.error ?? list.error} testId="operator-error" />
      {!list.data ? (
        list.error ? null : (
          <Loading what="operators" />
        )
      ) : (
        <OperatorTable operators={list.data.operators} busy={action.busy} onRevoke={revoke} />
      )}
    </section>
  );
}

function RevokeButton({ o, busy, onRevoke }: { o: Operator; busy: boolean; onRevoke(o: Operator): void }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button
        type="button"
        class="danger"
        disabled={busy}
        onClick={() => setAsking(true)}
        data-testid="operator-revoke"
      >
        Revoke…
      </button>
    );
  return (
    <span role="group" aria-label={`Revoke ${o.name}?`}>
      Revoke {o.name}?{" "}
      <button
        type="button"
        class="danger"
        disabled={busy}
        onClick={() => (setAsking(false), onRevoke(o))}
        data-testid="operator-revoke-confirm"
      >
        Yes, revoke
      </button>
      <button type="button" class="secondary" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

function CreateOperator({ busy, onCreate }: { busy: boolean; onCreate(name: string, role: OperatorRole): void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<OperatorRole>("viewer");
  return (
    <form
      class="filters"
      onSubmit={(e) => (e.preventDefault(), name.trim() && (onCreate(name.trim(), role), setName("")))}
      data-testid="operator-create-form"
    >
      <label>
        Name{" "}
        <input
          value={name}
          required
          maxLength={64}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
          data-testid="operator-create-name"
        />
      </label>
      <label>
        Role{" "}
        <select
          value={role}
          onChange={(e) => setRole((e.target as HTMLSelectElement).value as OperatorRole)}
          data-testid="operator-create-role"
        >
          {OPERATOR_ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_TEXT[r]}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={busy || !name.trim()} data-testid="operator-create-submit">
        Create operator
      </button>
    </form>
  );
}

function OperatorTable(props: { operators: Operator[]; busy: boolean; onRevoke(o: Operator): void }) {
  const { operators, busy, onRevoke } = props;
  const canRevoke = useCan()("operator.revoke");
  return (
    <table class="data" data-testid="operators-table">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Role</th>
          <th scope="col">Created</th>
          <th scope="col">Last sign-in</th>
          <th scope="col">State</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {operators.map((o) => (
          <tr key={o.id} data-testid="operator-row" data-operator-name={o.name}>
            <td>{o.name}</td>
            <td>{o.role}</td>
            <td>{formatTime(o.createdAt)}</td>
            <td>{formatTime(o.lastSignInAt)}</td>
            <td>{o.revokedAt ? `revoked ${formatTime(o.revokedAt)}` : "active"}</td>
            <td>{!o.revokedAt && canRevoke ? <RevokeButton o={o} busy={busy} onRevoke={onRevoke} /> : null}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

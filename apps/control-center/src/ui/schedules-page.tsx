import { DEFAULT_SCHEDULE_CRON, type Schedule, type ScheduleRequest } from "@tillsync/shared/browser";
import { useState } from "preact/hooks";
import { formatTime } from "../logic/format";
import { useCan, useConsole } from "./console-context";
import { ErrorBanner, Loading, Notice, PageHeader } from "./common";
import { useAction, type Action } from "./use-action";
import { useResource } from "./use-resource";

/** Sync schedules (cron read in each one's time zone): next and last run with its outcome; create, pause, resume, delete, trigger now. */
export function SchedulesPage() {
  const { api } = useConsole();
  const can = useCan();
  const list = useResource(() => api.schedules.list(), []);
  const action = useAction();
  const act = async (body: ScheduleRequest, done: string) => {
    if (await action.run(() => api.schedules.act(body), done)) list.reload();
  };
  return (
    <section data-testid="schedules-page">
      <PageHeader title="Schedules" />
      <p class="muted">
        Each schedule runs a full sync of every terminal. A cron pattern is read in its schedule's time zone (UTC unless
        created with another).
      </p>
      {can("schedule.create") ? <CreateSchedule action={action} act={act} /> : null}
      {action.done ? <Notice testId="schedule-done">{action.done}</Notice> : null}
      <ErrorBanner error={action.error ?? list.error} testId="schedule-error" />
      {!list.data ? (
        list.error ? null : (
          <Loading what="schedules" />
        )
      ) : (
        <table class="data" data-testid="schedules-table">
          <thead>
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">Cron</th>
              <th scope="col">Time zone</th>
              <th scope="col">State</th>
              <th scope="col">Next run</th>
              <th scope="col">Last run</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.schedules.map((s) => (
              <ScheduleRow key={s.id} s={s} busy={action.busy} act={act} />
            ))}
          </tbody>
        </table>
      )}
      {list.data?.schedules.length === 0 ? (
        <p>No schedules: terminals sync on their own interval and when central asks.</p>
      ) : null}
    </section>
  );
}

function ScheduleRow({ s, busy, act }: { s: Schedule; busy: boolean; act(b: ScheduleRequest, done: string): void }) {
  const can = useCan();
  const last = s.lastRun;
  return (
    <tr data-testid="schedule-row" data-schedule-id={s.id} data-paused={String(s.paused)}>
      <td>
        <code>{s.id}</code>
      </td>
      <td>
        <code>{s.cron}</code>
      </td>
      <td>{s.tz}</td>
      <td>{s.paused ? <span class="badge paused">paused</span> : "active"}</td>
      <td>{s.nextRunAt ? formatTime(s.nextRunAt) : "—"}</td>
      <td data-testid="schedule-last-run">
        {last ? `${formatTime(last.startedAt)}: ${last.outcome}${last.error ? ` (${last.error})` : ""}` : "never run"}
      </td>
      <td class="actions">
        {can("schedule.trigger") ? (
          <button
            type="button"
            disabled={busy}
            onClick={() => act({ action: "trigger-manual", scheduleId: s.id }, "Triggered.")}
            data-testid="schedule-trigger"
          >
            Run now
          </button>
        ) : null}
        {can("schedule.pause") ? (
          s.paused ? (
            <button
              type="button"
              disabled={busy}
              onClick={() => act({ action: "resume", scheduleId: s.id }, "Resumed.")}
              data-testid="schedule-resume"
            >
              Resume
            </button>
          ) : (
            <button
              type="button"
              disabled={busy}
              onClick={() => act({ action: "pause", scheduleId: s.id }, "Paused.")}
              data-testid="schedule-pause"
            >
              Pause
            </button>
          )
        ) : null}
        {can("schedule.delete") ? <DeleteButton id={s.id} busy={busy} act={act} /> : null}
      </td>
    </tr>
  );
}

function DeleteButton({ id, busy, act }: { id: string; busy: boolean; act(b: ScheduleRequest, done: string): void }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button
        type="button"
        class="danger"
        disabled={busy}
        onClick={() => setAsking(true)}
        data-testid="schedule-delete"
      >
        Delete…
      </button>
    );
  return (
    <span role="group" aria-label={`Delete schedule ${id}?`}>
      Delete {id}?{" "}
      <button
        type="button"
        class="danger"
        disabled={busy}
        onClick={() => (setAsking(false), act({ action: "delete", scheduleId: id }, "Deleted."))}
        data-testid="schedule-delete-confirm"
      >
        Yes, delete
      </button>
      <button type="button" class="secondary" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** True when the browser knows `tz` as an IANA zone (central checks it again). */
function knownZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The zones the browser lists, for the field's suggestions (older browsers list none). */
const ZONES: string[] = (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];

function CreateSchedule({ action, act }: { action: Action; act(b: ScheduleRequest, done: string): void }) {
  const [cron, setCron] = useState(DEFAULT_SCHEDULE_CRON);
  // UTC unless the operator names a zone: a store chain across zones usually means head office's.
  const [tz, setTz] = useState("UTC");
  const fields = cron.trim().split(/\s+/).length;
  const badCron = fields < 5 || fields > 6 ? "A cron pattern has 5 fields: minute hour day month weekday." : null;
  const badZone = knownZone(tz.trim()) ? null : `${tz.trim() || "(empty)"} is not a time zone, e.g. Europe/Paris.`;
  const invalid = badCron ?? badZone;
  return (
    <form
      class="filters"
      onSubmit={(e) => (
        e.preventDefault(),
        !invalid && act({ action: "create", cron: cron.trim(), tz: tz.trim() }, "Schedule created.")
      )}
      data-testid="schedule-create-form"
    >
      <label for="new-cron">New schedule, cron</label>
      <input
        id="new-cron"
        value={cron}
        onInput={(e) => setCron((e.target as HTMLInputElement).value)}
        aria-invalid={badCron ? "true" : undefined}
        aria-describedby="new-cron-hint"
        data-testid="schedule-cron"
      />
      <label for="new-tz">read in time zone</label>
      <input
        id="new-tz"
        value={tz}
        list="time-zones"
        onInput={(e) => setTz((e.target as HTMLInputElement).value)}
        aria-invalid={badZone ? "true" : undefined}
        aria-describedby="new-cron-hint"
        data-testid="schedule-tz"
      />
      <datalist id="time-zones">
        {ZONES.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <button type="submit" disabled={action.busy || Boolean(invalid)} data-testid="schedule-create">
        Create schedule
      </button>
      <small id="new-cron-hint">{invalid ?? `e.g. ${DEFAULT_SCHEDULE_CRON} = every six hours.`}</small>
    </form>
  );
}

import type { Command } from "commander";
import { SYNC_TABLES } from "@tillsync/shared";
import { describeConfig, formatConfig } from "../config/describe-config";
import { formatHistory, listHistory, recordCommand } from "../history/agent-history";
import { discardFailed, listFailed, type FailedChangeRow } from "../outbox/failed-changes";
import { CommandFailed, positiveInt, UsageError } from "./cli-errors";
import { cli } from "./cli-context";
import { withVariables } from "./command-help";
import { withDb } from "./local-db";

/** The operator's read-and-fix commands: `config`, `history`, `failed`, `discard`. All local. */

function configCommand(opts: { json?: boolean }): void {
  const entries = describeConfig(cli().local, process.env);
  console.log(opts.json ? JSON.stringify(entries, null, 2) : formatConfig(entries));
}

function historyCommand(opts: { limit: number; json?: boolean }): void {
  const entries = withDb((db) => listHistory(db, opts.limit));
  console.log(opts.json ? JSON.stringify(entries, null, 2) : formatHistory(entries));
}

function formatFailed(rows: FailedChangeRow[]): string {
  if (rows.length === 0) return "no failed changes";
  return rows
    .map(
      (r) =>
        `#${r.id} ${r.table} ${r.operation} ${r.entityId} (change ${r.changeId}, ${r.attempts} attempt(s), last ${r.lastAttemptAt ?? "never"})\n` +
        `    error: ${r.error ?? "rejected by central"}\n    row:   ${JSON.stringify(r.row)}`,
    )
    .join("\n");
}

function failedCommand(opts: { table?: string; json?: boolean }): void {
  if (opts.table && !(SYNC_TABLES as readonly string[]).includes(opts.table))
    throw new UsageError(`--table ${opts.table} is not a synced table (${SYNC_TABLES.join(", ")})`);
  const rows = withDb((db) => listFailed(db, opts.table));
  console.log(opts.json ? JSON.stringify(rows, null, 2) : formatFailed(rows));
}

function discardCommand(ids: string[], opts: { all?: boolean; yes?: boolean }): void {
  if (ids.length === 0 && !opts.all) throw new UsageError("name the changes to discard (ids from `failed`) or --all");
  if (ids.length > 0 && opts.all) throw new UsageError("give ids or --all, not both");
  const targets = withDb((db) => listFailed(db)).filter(
    (f) => opts.all || ids.includes(String(f.id)) || ids.includes(f.changeId),
  );
  if (targets.length === 0 && ids.length === 0) {
    console.log("no failed changes to discard");
    return;
  }
  if (!opts.yes) {
    console.log(formatFailed(targets));
    throw new UsageError(
      `would discard ${targets.length} failed change(s) for good (central never gets them); run again with --yes`,
    );
  }
  const r = withDb((db) => {
    const out = discardFailed(db, opts.all ? undefined : ids);
    if (out.removed.length)
      recordCommand(db, "DISCARD", `discarded ${out.removed.length} failed change(s): ${out.removed.join(", ")}`);
    return out;
  });
  console.log(`discarded ${r.removed.length} failed change(s); recorded in history`);
  if (r.notFound.length) throw new CommandFailed(`not a failed change: ${r.notFound.join(", ")}`);
}

export function addInspectCommands(program: Command): void {
  withVariables(
    program
      .command("config")
      .description("the effective configuration and where each value came from; secrets masked")
      .option("--json", "machine-readable output")
      .action(configCommand),
    ["central", "local"],
  );
  withVariables(
    program
      .command("history")
      .description("recent sync cycles and operator commands: start, duration, pushed, pulled, conflicts, error")
      .option("--limit <n>", "how many entries", positiveInt(10_000), 20)
      .option("--json", "machine-readable output")
      .action(historyCommand),
    ["local"],
  );
  withVariables(
    program
      .command("failed")
      .description("FAILED outbox changes with their error, attempts and row")
      .option("--table <table>", "only this table")
      .option("--json", "machine-readable output")
      .action(failedCommand),
    ["local"],
  );
  withVariables(
    program
      .command("discard")
      .description("remove FAILED changes for good (ids from `failed`, or --all); needs --yes")
      .argument("[ids...]", "outbox ids (#n) or change ids")
      .option("--all", "every FAILED change")
      .option("--yes", "confirm: without it the command only lists what it would remove")
      .action(discardCommand),
    ["local"],
  );
}

import { InvalidArgumentError, type Command } from "commander";
import { engineOptionsFromConfig, transportFromConfig } from "../daemon/from-config";
import { openTerminalDb } from "../db/terminal-db";
import { OutboxStore } from "../outbox/outbox-store";
import { resendHeldChanges } from "../recovery/resend-held";
import { runExclusive } from "./sync-commands";

/** `--since`: an ISO-8601 time with a zone (a bare date means its UTC midnight). */
export function isoTime(value: string): Date {
  const ok = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d))?$/.test(value);
  const t = new Date(value);
  if (!ok || Number.isNaN(t.getTime()))
    throw new InvalidArgumentError("must be an ISO-8601 time, e.g. 2026-12-01T09:00:00Z or 2026-12-01");
  return t;
}

/**
 * `resend --since <time>`: sends again the changes central already confirmed since then (after
 * central was restored from a backup older than what the agents noticed by themselves).
 * Central dedupes by change id, so sending too much is harmless.
 */
export function addResendCommand(program: Command): void {
  program
    .command("resend")
    .description("re-send changes central already confirmed (SYNCED), made at or after --since")
    .requiredOption("--since <time>", "ISO-8601 time; changes the outbox still holds from then on", isoTime)
    .action(async (opts: { since: Date }) => {
      // Exclusive like `sync`: beside a running daemon, the two would send the same rows at once.
      await runExclusive("resend", async (config) => {
        const db = openTerminalDb(config.databasePath);
        try {
          const { batchSize, rejectRetry } = engineOptionsFromConfig(config);
          const r = await resendHeldChanges(db, new OutboxStore(db), transportFromConfig(config), {
            batchSize,
            rejectRetry,
            since: opts.since,
          });
          console.log(
            `re-sent ${r.sent} change(s) made since ${opts.since.toISOString()}: ${r.applied} applied again (central had lost them), ${r.duplicates} already at central, ${r.conflicts} conflict(s), ${r.rejected} rejected`,
          );
        } finally {
          db.close();
        }
      });
    });
}

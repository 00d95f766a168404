import { z } from "zod";
import { feedCursorSchema, uuidSchema } from "../ids";
import { syncTableSchema } from "./common";

/**
 * GET /api/sync/snapshot: a new terminal's bootstrap, streamed as newline-delimited JSON
 * (`application/x-ndjson`), one object per line, told apart by `type`:
 *
 *   header   once, first: the feed epoch and the cursor the snapshot is consistent with
 *   row      every row of every table central sends to this terminal (its scope), parents
 *            before children, each as a pull would carry it (`data` keyed by column name)
 *   end      once, last: the same cursor and epoch, and how many rows were sent
 *
 * Every row is read in one database snapshot, the cursor in that same snapshot: a change
 * committed after it comes through the feed after the cursor; one before it is in the rows. A
 * stream without its `end` line was cut short and proves nothing: the agent keeps its cursor
 * until it has applied the last row. Rows are upserts by id, so a bootstrap started again
 * after a crash applies them again harmlessly. An older central answers 404 NOT_FOUND, and
 * the agent replays the feed from cursor 0 instead.
 */

export const SNAPSHOT_CONTENT_TYPE = "application/x-ndjson";

export const snapshotHeaderSchema = z
  .object({
    type: z.literal("header"),
    /** The feed epoch, as a pull answers it; send it back with the next pull. */
    epoch: uuidSchema,
    /** The feed cursor the rows are consistent with: continue the feed pull after it. */
    cursor: feedCursorSchema,
    /** The tables the rows come from, in the order they are sent. */
    tables: z.array(syncTableSchema),
  })
  .meta({ id: "SnapshotHeader" });
export type SnapshotHeader = z.infer<typeof snapshotHeaderSchema>;

export const snapshotRowSchema = z
  .object({
    type: z.literal("row"),
    entityType: syncTableSchema,
    /** The row as central holds it in the snapshot, keyed by column name (its `id` included). */
    data: z.record(z.string(), z.unknown()),
    version: z.number().int(),
  })
  .meta({ id: "SnapshotRow" });
export type SnapshotRow = z.infer<typeof snapshotRowSchema>;

export const snapshotEndSchema = z
  .object({
    type: z.literal("end"),
    epoch: uuidSchema,
    cursor: feedCursorSchema,
    /** Rows sent before this line: fewer received means lines were lost. */
    rows: z.number().int().min(0),
  })
  .meta({ id: "SnapshotEnd" });
export type SnapshotEnd = z.infer<typeof snapshotEndSchema>;

export const snapshotLineSchema = z
  .discriminatedUnion("type", [snapshotHeaderSchema, snapshotRowSchema, snapshotEndSchema])
  .meta({ id: "SnapshotLine" });
export type SnapshotLine = z.infer<typeof snapshotLineSchema>;

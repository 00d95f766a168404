-- issue 15 (capture ≤ 1.3×): the full (status, sync_priority, id) index goes; a partial one that
-- leaves the captured tail out (`confirmed <> 2`) replaces it, created by migrateTerminal after
-- the migrations since Prisma cannot model it (apps/terminal-agent/src/capture/outbox-indexes.ts).
-- A sale's rows then touch no outbox index in the till's transaction; the agent's tail indexing
-- puts them into both. Dropping the index only: no rebuild of the outbox table.
DROP INDEX "outbox_status_sync_priority_id_idx";

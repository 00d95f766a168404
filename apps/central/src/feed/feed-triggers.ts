import { DEFAULT_SYNC_POLICY, feedTables, type SyncPolicy } from "@tillsync/shared";

/**
 * Generates central's change-feed triggers from the sync policy (committed as a migration;
 * a test checks the committed copy matches). Every INSERT/UPDATE/DELETE of a table terminals
 * receive, by any client (the API, a back-office tool, psql), appends a row to change_feed
 * with a NULL position; the sequencer (store/change-feed.ts) numbers rows only after they commit (G2).
 *
 * The BEFORE trigger bumps `version` on every change so terminals can detect conflicts
 * against it, unless the writer set a new version itself (central's apply code does).
 */
export function feedTriggerSql(policy: SyncPolicy = DEFAULT_SYNC_POLICY): string {
  const parts = [
    "-- Generated from the sync policy by apps/central/src/feed/feed-triggers.ts.",
    "-- Do not edit: change the policy and create a new migration.",
    `CREATE OR REPLACE FUNCTION tillsync_bump_version() RETURNS trigger AS $$
BEGIN
  IF NEW.version IS NOT DISTINCT FROM OLD.version THEN
    NEW.version := OLD.version + 1;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;`,
    `CREATE OR REPLACE FUNCTION tillsync_feed_capture() RETURNS trigger AS $$
DECLARE
  r jsonb;
  scope_column text := TG_ARGV[0];
BEGIN
  IF TG_OP = 'DELETE' THEN r := to_jsonb(OLD); ELSE r := to_jsonb(NEW); END IF;
  INSERT INTO change_feed (entity_type, entity_id, operation, store_id)
  VALUES (TG_TABLE_NAME, (r->>'id')::uuid, TG_OP,
          CASE WHEN scope_column = '' THEN NULL ELSE (r->>scope_column)::uuid END);
  -- Delivered only at commit, so listeners never hear of a change they cannot read yet.
  PERFORM pg_notify('tillsync_feed', TG_TABLE_NAME);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;`,
  ];
  for (const p of feedTables(policy)) {
    const scope = p.scope === "STORE" ? "store_id" : "";
    parts.push(`CREATE TRIGGER tillsync_bump_version_${p.table} BEFORE UPDATE ON ${p.table}
  FOR EACH ROW EXECUTE FUNCTION tillsync_bump_version();`);
    parts.push(`CREATE TRIGGER tillsync_feed_${p.table} AFTER INSERT OR UPDATE OR DELETE ON ${p.table}
  FOR EACH ROW EXECUTE FUNCTION tillsync_feed_capture('${scope}');`);
  }
  return parts.join("\n\n") + "\n";
}

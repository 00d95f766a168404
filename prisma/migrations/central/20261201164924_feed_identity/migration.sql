-- CreateTable
CREATE TABLE "feed_identity" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "epoch" UUID NOT NULL DEFAULT gen_random_uuid(),
    "fingerprint" TEXT,
    "expired_below" BIGINT NOT NULL DEFAULT 0,
    "changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "reason" TEXT,

    CONSTRAINT "feed_identity_pkey" PRIMARY KEY ("id")
);

-- Where this database lives: a restore into a new database, a copy (CREATE DATABASE … TEMPLATE),
-- a restore that re-creates the tables (pg_restore --clean), a new cluster or a point-in-time
-- recovery / failover (a new timeline) each change it; central then gives the feed a new epoch.
-- The cluster parts need pg_monitor or superuser; without them the fingerprint is the oids only.
CREATE OR REPLACE FUNCTION tillsync_feed_fingerprint() RETURNS text AS $$
DECLARE
  sys text := '';
  tl text := '';
BEGIN
  BEGIN
    SELECT system_identifier::text INTO sys FROM pg_control_system();
    SELECT timeline_id::text INTO tl FROM pg_control_checkpoint();
  EXCEPTION WHEN insufficient_privilege THEN
    NULL;
  END;
  RETURN (SELECT oid::text FROM pg_database WHERE datname = current_database())
    || ':' || 'change_feed'::regclass::oid::text || ':' || sys || ':' || tl;
END;
$$ LANGUAGE plpgsql STABLE;

INSERT INTO "feed_identity" ("id", "fingerprint", "reason") VALUES (1, tillsync_feed_fingerprint(), 'created');

-- Generated from the sync policy by apps/central/src/feed/feed-triggers.ts.

-- Do not edit: change the policy and create a new migration.

CREATE OR REPLACE FUNCTION tillsync_bump_version() RETURNS trigger AS $$
BEGIN
  IF NEW.version IS NOT DISTINCT FROM OLD.version THEN
    NEW.version := OLD.version + 1;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION tillsync_feed_capture() RETURNS trigger AS $$
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
$$ LANGUAGE plpgsql;

CREATE TRIGGER tillsync_bump_version_categories BEFORE UPDATE ON categories
  FOR EACH ROW EXECUTE FUNCTION tillsync_bump_version();

CREATE TRIGGER tillsync_feed_categories AFTER INSERT OR UPDATE OR DELETE ON categories
  FOR EACH ROW EXECUTE FUNCTION tillsync_feed_capture('');

CREATE TRIGGER tillsync_bump_version_brands BEFORE UPDATE ON brands
  FOR EACH ROW EXECUTE FUNCTION tillsync_bump_version();

CREATE TRIGGER tillsync_feed_brands AFTER INSERT OR UPDATE OR DELETE ON brands
  FOR EACH ROW EXECUTE FUNCTION tillsync_feed_capture('');

CREATE TRIGGER tillsync_bump_version_products BEFORE UPDATE ON products
  FOR EACH ROW EXECUTE FUNCTION tillsync_bump_version();

CREATE TRIGGER tillsync_feed_products AFTER INSERT OR UPDATE OR DELETE ON products
  FOR EACH ROW EXECUTE FUNCTION tillsync_feed_capture('');

CREATE TRIGGER tillsync_bump_version_customers BEFORE UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION tillsync_bump_version();

CREATE TRIGGER tillsync_feed_customers AFTER INSERT OR UPDATE OR DELETE ON customers
  FOR EACH ROW EXECUTE FUNCTION tillsync_feed_capture('');

CREATE TRIGGER tillsync_bump_version_inventory_items BEFORE UPDATE ON inventory_items
  FOR EACH ROW EXECUTE FUNCTION tillsync_bump_version();

CREATE TRIGGER tillsync_feed_inventory_items AFTER INSERT OR UPDATE OR DELETE ON inventory_items
  FOR EACH ROW EXECUTE FUNCTION tillsync_feed_capture('store_id');

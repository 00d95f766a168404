-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
PRAGMA legacy_alter_table=ON;
CREATE TABLE "new_capture_control" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT DEFAULT 1,
    "applying" INTEGER NOT NULL DEFAULT 0,
    "mode" TEXT NOT NULL DEFAULT 'ONLINE'
);
INSERT INTO "new_capture_control" ("applying", "id") SELECT "applying", "id" FROM "capture_control";
DROP TABLE "capture_control";
ALTER TABLE "new_capture_control" RENAME TO "capture_control";
PRAGMA legacy_alter_table=OFF;
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- issue 15 (capture ≤ 1.3× in time): capture reads created_in_mode from capture_control.mode by rowid, kept
-- equal to sync_state's 'mode' by triggers on sync_state (apps/terminal-agent/src/capture/capture-mode.ts);
-- the outbox's id guard and tail bound are one AFTER INSERT trigger reading the floor row once
-- (captured-tail.ts, outboxInsertTriggerSql).
-- Generated from the sync policy by apps/terminal-agent/src/capture/capture-triggers.ts.

-- Do not edit: change the policy and create a new migration.

INSERT OR IGNORE INTO capture_control (id, applying) VALUES (1, 0);

UPDATE capture_control SET mode = coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE') WHERE id = 1;

DROP TRIGGER IF EXISTS tillsync_stock_display_adjustment;

DROP TRIGGER IF EXISTS tillsync_outbox_id_unused;

DROP TRIGGER IF EXISTS tillsync_outbox_tail_bound;

DROP TRIGGER IF EXISTS tillsync_capture_products_insert;

DROP TRIGGER IF EXISTS tillsync_capture_products_update;

DROP TRIGGER IF EXISTS tillsync_capture_products_delete;

DROP TRIGGER IF EXISTS tillsync_capture_customers_insert;

DROP TRIGGER IF EXISTS tillsync_capture_customers_update;

DROP TRIGGER IF EXISTS tillsync_capture_customers_delete;

DROP TRIGGER IF EXISTS tillsync_capture_sale_orders_insert;

DROP TRIGGER IF EXISTS tillsync_capture_sale_orders_update;

DROP TRIGGER IF EXISTS tillsync_capture_sale_orders_delete;

DROP TRIGGER IF EXISTS tillsync_capture_sale_order_lines_insert;

DROP TRIGGER IF EXISTS tillsync_capture_sale_order_lines_update;

DROP TRIGGER IF EXISTS tillsync_capture_sale_order_lines_delete;

DROP TRIGGER IF EXISTS tillsync_capture_payments_insert;

DROP TRIGGER IF EXISTS tillsync_capture_payments_update;

DROP TRIGGER IF EXISTS tillsync_capture_payments_delete;

DROP TRIGGER IF EXISTS tillsync_capture_inventory_adjustments_insert;

DROP TRIGGER IF EXISTS tillsync_append_only_inventory_adjustments_update;

DROP TRIGGER IF EXISTS tillsync_append_only_inventory_adjustments_delete;

DROP TRIGGER IF EXISTS tillsync_ledger_inventory_adjustments_insert;

DROP TRIGGER IF EXISTS tillsync_ledger_inventory_items_direct_update;

DROP TRIGGER IF EXISTS tillsync_ledger_inventory_items_direct_insert;

DROP TRIGGER IF EXISTS tillsync_local_edit_categories_update;

DROP TRIGGER IF EXISTS tillsync_local_edit_categories_delete;

DROP TRIGGER IF EXISTS tillsync_local_edit_categories_insert;

DROP TRIGGER IF EXISTS tillsync_local_edit_brands_update;

DROP TRIGGER IF EXISTS tillsync_local_edit_brands_delete;

DROP TRIGGER IF EXISTS tillsync_local_edit_brands_insert;

DROP TRIGGER IF EXISTS tillsync_local_edit_inventory_items_update;

DROP TRIGGER IF EXISTS tillsync_local_edit_inventory_items_delete;

DROP TRIGGER IF EXISTS tillsync_capture_mode_insert;

DROP TRIGGER IF EXISTS tillsync_capture_mode_update;

DROP TRIGGER IF EXISTS tillsync_capture_mode_delete;

DROP TRIGGER IF EXISTS tillsync_outbox_insert;

CREATE TRIGGER tillsync_capture_products_insert AFTER INSERT ON products
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'products', NEW.id, 'CREATE', json_object('id', NEW.id, 'sku', NEW.sku, 'name', NEW.name, 'category_id', NEW.category_id, 'brand_id', NEW.brand_id, 'price_cents', NEW.price_cents, 'tax_rate_bp', NEW.tax_rate_bp, 'active', CASE WHEN NEW.active THEN json('true') ELSE json('false') END, 'barcode', NEW.barcode, 'version', NEW.version), NULL, NULL, 5, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n;
END;

CREATE TRIGGER tillsync_capture_products_update AFTER UPDATE ON products
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND (NEW.id IS NOT OLD.id OR NEW.sku IS NOT OLD.sku OR NEW.name IS NOT OLD.name OR NEW.category_id IS NOT OLD.category_id OR NEW.brand_id IS NOT OLD.brand_id OR NEW.price_cents IS NOT OLD.price_cents OR NEW.tax_rate_bp IS NOT OLD.tax_rate_bp OR NEW.active IS NOT OLD.active OR NEW.barcode IS NOT OLD.barcode)
BEGIN
  UPDATE outbox SET data = json_object('id', NEW.id, 'sku', NEW.sku, 'name', NEW.name, 'category_id', NEW.category_id, 'brand_id', NEW.brand_id, 'price_cents', NEW.price_cents, 'tax_rate_bp', NEW.tax_rate_bp, 'active', CASE WHEN NEW.active THEN json('true') ELSE json('false') END, 'barcode', NEW.barcode, 'version', NEW.version), base_data = base_data, sync_priority = 5
   WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'products' AND entity_id = NEW.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'UPDATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'products' AND entity_id = NEW.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'UPDATE')) ORDER BY id DESC LIMIT 1);
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'products', NEW.id, 'UPDATE', json_object('id', NEW.id, 'sku', NEW.sku, 'name', NEW.name, 'category_id', NEW.category_id, 'brand_id', NEW.brand_id, 'price_cents', NEW.price_cents, 'tax_rate_bp', NEW.tax_rate_bp, 'active', CASE WHEN NEW.active THEN json('true') ELSE json('false') END, 'barcode', NEW.barcode, 'version', NEW.version), json_object('id', OLD.id, 'sku', OLD.sku, 'name', OLD.name, 'category_id', OLD.category_id, 'brand_id', OLD.brand_id, 'price_cents', OLD.price_cents, 'tax_rate_bp', OLD.tax_rate_bp, 'active', CASE WHEN OLD.active THEN json('true') ELSE json('false') END, 'barcode', OLD.barcode, 'version', OLD.version), nullif(OLD.version, 0), 5, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n
   WHERE changes() = 0;

END;

CREATE TRIGGER tillsync_capture_products_delete AFTER DELETE ON products
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  UPDATE outbox SET operation = 'DELETE', data = NULL
   WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'products' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('UPDATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'products' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('UPDATE')) ORDER BY id DESC LIMIT 1);
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'products', OLD.id, 'DELETE', NULL, json_object('id', OLD.id, 'sku', OLD.sku, 'name', OLD.name, 'category_id', OLD.category_id, 'brand_id', OLD.brand_id, 'price_cents', OLD.price_cents, 'tax_rate_bp', OLD.tax_rate_bp, 'active', CASE WHEN OLD.active THEN json('true') ELSE json('false') END, 'barcode', OLD.barcode, 'version', OLD.version), nullif(OLD.version, 0), 5, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n
   WHERE NOT EXISTS (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'products' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'DELETE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'products' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'DELETE')) ORDER BY id DESC LIMIT 1);
  DELETE FROM outbox WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'products' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'products' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE')) ORDER BY id DESC LIMIT 1);
END;

CREATE TRIGGER tillsync_capture_customers_insert AFTER INSERT ON customers
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'customers', NEW.id, 'CREATE', json_object('id', NEW.id, 'name', NEW.name, 'email', NEW.email, 'phone', NEW.phone, 'loyalty_points', NEW.loyalty_points, 'total_spent_cents', NEW.total_spent_cents, 'version', NEW.version), NULL, NULL, 6, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n;
END;

CREATE TRIGGER tillsync_capture_customers_update AFTER UPDATE ON customers
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND (NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name OR NEW.email IS NOT OLD.email OR NEW.phone IS NOT OLD.phone OR NEW.loyalty_points IS NOT OLD.loyalty_points OR NEW.total_spent_cents IS NOT OLD.total_spent_cents)
BEGIN
  UPDATE outbox SET data = json_object('id', NEW.id, 'name', NEW.name, 'email', NEW.email, 'phone', NEW.phone, 'loyalty_points', NEW.loyalty_points, 'total_spent_cents', NEW.total_spent_cents, 'version', NEW.version), base_data = CASE WHEN base_data IS NULL THEN NULL ELSE json_set(base_data, '$.loyalty_points', coalesce(OLD.loyalty_points, 0) - (coalesce(json_extract(data, '$.loyalty_points'), 0) - coalesce(json_extract(base_data, '$.loyalty_points'), 0)), '$.total_spent_cents', coalesce(OLD.total_spent_cents, 0) - (coalesce(json_extract(data, '$.total_spent_cents'), 0) - coalesce(json_extract(base_data, '$.total_spent_cents'), 0))) END, sync_priority = 6
   WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'customers' AND entity_id = NEW.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'UPDATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'customers' AND entity_id = NEW.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'UPDATE')) ORDER BY id DESC LIMIT 1);
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'customers', NEW.id, 'UPDATE', json_object('id', NEW.id, 'name', NEW.name, 'email', NEW.email, 'phone', NEW.phone, 'loyalty_points', NEW.loyalty_points, 'total_spent_cents', NEW.total_spent_cents, 'version', NEW.version), json_object('id', OLD.id, 'name', OLD.name, 'email', OLD.email, 'phone', OLD.phone, 'loyalty_points', OLD.loyalty_points, 'total_spent_cents', OLD.total_spent_cents, 'version', OLD.version), nullif(OLD.version, 0), 6, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n
   WHERE changes() = 0;

END;

CREATE TRIGGER tillsync_capture_customers_delete AFTER DELETE ON customers
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  UPDATE outbox SET operation = 'DELETE', data = NULL
   WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'customers' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('UPDATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'customers' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('UPDATE')) ORDER BY id DESC LIMIT 1);
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'customers', OLD.id, 'DELETE', NULL, json_object('id', OLD.id, 'name', OLD.name, 'email', OLD.email, 'phone', OLD.phone, 'loyalty_points', OLD.loyalty_points, 'total_spent_cents', OLD.total_spent_cents, 'version', OLD.version), nullif(OLD.version, 0), 6, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n
   WHERE NOT EXISTS (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'customers' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'DELETE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'customers' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'DELETE')) ORDER BY id DESC LIMIT 1);
  DELETE FROM outbox WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'customers' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'customers' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE')) ORDER BY id DESC LIMIT 1);
END;

CREATE TRIGGER tillsync_capture_sale_orders_insert AFTER INSERT ON sale_orders
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'sale_orders', NEW.id, 'CREATE', json_object('id', NEW.id, 'terminal_id', NEW.terminal_id, 'store_id', NEW.store_id, 'customer_id', NEW.customer_id, 'status', NEW.status, 'total_cents', NEW.total_cents, 'created_in_mode', NEW.created_in_mode, 'created_at', NEW.created_at, 'completed_at', NEW.completed_at, 'version', NEW.version), NULL, NULL, CASE NEW.status WHEN 'COMPLETED' THEN 10 ELSE 9 END, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n;
END;

CREATE TRIGGER tillsync_capture_sale_orders_update AFTER UPDATE ON sale_orders
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND (NEW.id IS NOT OLD.id OR NEW.terminal_id IS NOT OLD.terminal_id OR NEW.store_id IS NOT OLD.store_id OR NEW.customer_id IS NOT OLD.customer_id OR NEW.status IS NOT OLD.status OR NEW.total_cents IS NOT OLD.total_cents OR NEW.created_in_mode IS NOT OLD.created_in_mode OR NEW.created_at IS NOT OLD.created_at OR NEW.completed_at IS NOT OLD.completed_at)
BEGIN
  UPDATE outbox SET data = json_object('id', NEW.id, 'terminal_id', NEW.terminal_id, 'store_id', NEW.store_id, 'customer_id', NEW.customer_id, 'status', NEW.status, 'total_cents', NEW.total_cents, 'created_in_mode', NEW.created_in_mode, 'created_at', NEW.created_at, 'completed_at', NEW.completed_at, 'version', NEW.version), base_data = base_data, sync_priority = CASE NEW.status WHEN 'COMPLETED' THEN 10 ELSE 9 END
   WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'sale_orders' AND entity_id = NEW.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'UPDATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'sale_orders' AND entity_id = NEW.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'UPDATE')) ORDER BY id DESC LIMIT 1);
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'sale_orders', NEW.id, 'UPDATE', json_object('id', NEW.id, 'terminal_id', NEW.terminal_id, 'store_id', NEW.store_id, 'customer_id', NEW.customer_id, 'status', NEW.status, 'total_cents', NEW.total_cents, 'created_in_mode', NEW.created_in_mode, 'created_at', NEW.created_at, 'completed_at', NEW.completed_at, 'version', NEW.version), json_object('id', OLD.id, 'terminal_id', OLD.terminal_id, 'store_id', OLD.store_id, 'customer_id', OLD.customer_id, 'status', OLD.status, 'total_cents', OLD.total_cents, 'created_in_mode', OLD.created_in_mode, 'created_at', OLD.created_at, 'completed_at', OLD.completed_at, 'version', OLD.version), nullif(OLD.version, 0), CASE NEW.status WHEN 'COMPLETED' THEN 10 ELSE 9 END, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n
   WHERE changes() = 0;
  UPDATE outbox SET sync_priority = CASE NEW.status WHEN 'COMPLETED' THEN 10 ELSE 9 END
   WHERE entity_type = 'sale_order_lines' AND confirmed = 0 AND +status = 'PENDING' AND entity_id IN (SELECT id FROM sale_order_lines WHERE order_id = NEW.id);
  UPDATE outbox SET sync_priority = CASE NEW.status WHEN 'COMPLETED' THEN 10 ELSE 9 END
   WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'sale_order_lines' AND +status = 'PENDING' AND +entity_id IN (SELECT id FROM sale_order_lines WHERE order_id = NEW.id);
END;

CREATE TRIGGER tillsync_capture_sale_orders_delete AFTER DELETE ON sale_orders
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  UPDATE outbox SET operation = 'DELETE', data = NULL
   WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'sale_orders' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('UPDATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'sale_orders' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('UPDATE')) ORDER BY id DESC LIMIT 1);
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'sale_orders', OLD.id, 'DELETE', NULL, json_object('id', OLD.id, 'terminal_id', OLD.terminal_id, 'store_id', OLD.store_id, 'customer_id', OLD.customer_id, 'status', OLD.status, 'total_cents', OLD.total_cents, 'created_in_mode', OLD.created_in_mode, 'created_at', OLD.created_at, 'completed_at', OLD.completed_at, 'version', OLD.version), nullif(OLD.version, 0), CASE OLD.status WHEN 'COMPLETED' THEN 10 ELSE 9 END, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n
   WHERE NOT EXISTS (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'sale_orders' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'DELETE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'sale_orders' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'DELETE')) ORDER BY id DESC LIMIT 1);
  DELETE FROM outbox WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'sale_orders' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'sale_orders' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE')) ORDER BY id DESC LIMIT 1);
END;

CREATE TRIGGER tillsync_capture_sale_order_lines_insert AFTER INSERT ON sale_order_lines
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'sale_order_lines', NEW.id, 'CREATE', json_object('id', NEW.id, 'order_id', NEW.order_id, 'product_id', NEW.product_id, 'quantity', NEW.quantity, 'unit_price_cents', NEW.unit_price_cents, 'line_total_cents', NEW.line_total_cents, 'version', NEW.version), NULL, NULL, coalesce((SELECT CASE parent.status WHEN 'COMPLETED' THEN 10 ELSE 9 END FROM sale_orders AS parent WHERE parent.id = NEW.order_id), 9), coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n;
END;

CREATE TRIGGER tillsync_capture_sale_order_lines_update AFTER UPDATE ON sale_order_lines
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND (NEW.id IS NOT OLD.id OR NEW.order_id IS NOT OLD.order_id OR NEW.product_id IS NOT OLD.product_id OR NEW.quantity IS NOT OLD.quantity OR NEW.unit_price_cents IS NOT OLD.unit_price_cents OR NEW.line_total_cents IS NOT OLD.line_total_cents)
BEGIN
  UPDATE outbox SET data = json_object('id', NEW.id, 'order_id', NEW.order_id, 'product_id', NEW.product_id, 'quantity', NEW.quantity, 'unit_price_cents', NEW.unit_price_cents, 'line_total_cents', NEW.line_total_cents, 'version', NEW.version), base_data = base_data, sync_priority = coalesce((SELECT CASE parent.status WHEN 'COMPLETED' THEN 10 ELSE 9 END FROM sale_orders AS parent WHERE parent.id = NEW.order_id), 9)
   WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'sale_order_lines' AND entity_id = NEW.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'UPDATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'sale_order_lines' AND entity_id = NEW.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'UPDATE')) ORDER BY id DESC LIMIT 1);
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'sale_order_lines', NEW.id, 'UPDATE', json_object('id', NEW.id, 'order_id', NEW.order_id, 'product_id', NEW.product_id, 'quantity', NEW.quantity, 'unit_price_cents', NEW.unit_price_cents, 'line_total_cents', NEW.line_total_cents, 'version', NEW.version), json_object('id', OLD.id, 'order_id', OLD.order_id, 'product_id', OLD.product_id, 'quantity', OLD.quantity, 'unit_price_cents', OLD.unit_price_cents, 'line_total_cents', OLD.line_total_cents, 'version', OLD.version), nullif(OLD.version, 0), coalesce((SELECT CASE parent.status WHEN 'COMPLETED' THEN 10 ELSE 9 END FROM sale_orders AS parent WHERE parent.id = NEW.order_id), 9), coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n
   WHERE changes() = 0;

END;

CREATE TRIGGER tillsync_capture_sale_order_lines_delete AFTER DELETE ON sale_order_lines
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  UPDATE outbox SET operation = 'DELETE', data = NULL
   WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'sale_order_lines' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('UPDATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'sale_order_lines' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('UPDATE')) ORDER BY id DESC LIMIT 1);
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'sale_order_lines', OLD.id, 'DELETE', NULL, json_object('id', OLD.id, 'order_id', OLD.order_id, 'product_id', OLD.product_id, 'quantity', OLD.quantity, 'unit_price_cents', OLD.unit_price_cents, 'line_total_cents', OLD.line_total_cents, 'version', OLD.version), nullif(OLD.version, 0), coalesce((SELECT CASE parent.status WHEN 'COMPLETED' THEN 10 ELSE 9 END FROM sale_orders AS parent WHERE parent.id = OLD.order_id), 9), coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n
   WHERE NOT EXISTS (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'sale_order_lines' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'DELETE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'sale_order_lines' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'DELETE')) ORDER BY id DESC LIMIT 1);
  DELETE FROM outbox WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'sale_order_lines' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'sale_order_lines' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE')) ORDER BY id DESC LIMIT 1);
END;

CREATE TRIGGER tillsync_capture_payments_insert AFTER INSERT ON payments
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'payments', NEW.id, 'CREATE', json_object('id', NEW.id, 'order_id', NEW.order_id, 'method', NEW.method, 'amount_cents', NEW.amount_cents, 'created_at', NEW.created_at, 'version', NEW.version), NULL, NULL, 10, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n;
END;

CREATE TRIGGER tillsync_capture_payments_update AFTER UPDATE ON payments
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND (NEW.id IS NOT OLD.id OR NEW.order_id IS NOT OLD.order_id OR NEW.method IS NOT OLD.method OR NEW.amount_cents IS NOT OLD.amount_cents OR NEW.created_at IS NOT OLD.created_at)
BEGIN
  UPDATE outbox SET data = json_object('id', NEW.id, 'order_id', NEW.order_id, 'method', NEW.method, 'amount_cents', NEW.amount_cents, 'created_at', NEW.created_at, 'version', NEW.version), base_data = base_data, sync_priority = 10
   WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'payments' AND entity_id = NEW.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'UPDATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'payments' AND entity_id = NEW.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'UPDATE')) ORDER BY id DESC LIMIT 1);
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'payments', NEW.id, 'UPDATE', json_object('id', NEW.id, 'order_id', NEW.order_id, 'method', NEW.method, 'amount_cents', NEW.amount_cents, 'created_at', NEW.created_at, 'version', NEW.version), json_object('id', OLD.id, 'order_id', OLD.order_id, 'method', OLD.method, 'amount_cents', OLD.amount_cents, 'created_at', OLD.created_at, 'version', OLD.version), nullif(OLD.version, 0), 10, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n
   WHERE changes() = 0;

END;

CREATE TRIGGER tillsync_capture_payments_delete AFTER DELETE ON payments
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  UPDATE outbox SET operation = 'DELETE', data = NULL
   WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'payments' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('UPDATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'payments' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('UPDATE')) ORDER BY id DESC LIMIT 1);
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'payments', OLD.id, 'DELETE', NULL, json_object('id', OLD.id, 'order_id', OLD.order_id, 'method', OLD.method, 'amount_cents', OLD.amount_cents, 'created_at', OLD.created_at, 'version', OLD.version), nullif(OLD.version, 0), 10, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n
   WHERE NOT EXISTS (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'payments' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'DELETE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'payments' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE', 'DELETE')) ORDER BY id DESC LIMIT 1);
  DELETE FROM outbox WHERE id = (SELECT id FROM (SELECT id FROM outbox WHERE entity_type = 'payments' AND entity_id = OLD.id AND confirmed = 0 AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE')
     UNION ALL SELECT id FROM outbox WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND +entity_type = 'payments' AND entity_id = OLD.id AND +status = 'PENDING' AND last_attempt_at IS NULL AND operation IN ('CREATE')) ORDER BY id DESC LIMIT 1);
END;

CREATE TRIGGER tillsync_capture_inventory_adjustments_insert AFTER INSERT ON inventory_adjustments
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, printf('%08x-%04x-7%03x-8%03x-%02x%010x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) >> 16, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) & 65535, random() & 4095, random() & 4095, random() & 255, n.id), 'inventory_adjustments', NEW.id, 'CREATE', json_object('id', NEW.id, 'store_id', NEW.store_id, 'product_id', NEW.product_id, 'delta', NEW.delta, 'reason', NEW.reason, 'terminal_id', NEW.terminal_id, 'created_at', NEW.created_at, 'version', NEW.version), NULL, NULL, 8, coalesce((SELECT mode FROM capture_control WHERE id = 1), coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')), 2
   FROM (SELECT (SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1) AS id) AS n;
END;

CREATE TRIGGER tillsync_append_only_inventory_adjustments_update BEFORE UPDATE ON inventory_adjustments
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  SELECT RAISE(ABORT, 'inventory_adjustments is append-only: record a correcting adjustment instead');
END;

CREATE TRIGGER tillsync_append_only_inventory_adjustments_delete BEFORE DELETE ON inventory_adjustments
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1
BEGIN
  SELECT RAISE(ABORT, 'inventory_adjustments is append-only: record a correcting adjustment instead');
END;

CREATE TRIGGER tillsync_ledger_inventory_adjustments_insert AFTER INSERT ON inventory_adjustments
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND NOT EXISTS (SELECT 1 FROM capture_control WHERE id = 2)
BEGIN
  INSERT OR REPLACE INTO capture_control (id, applying) VALUES (2, 0);
  INSERT INTO inventory_items (store_id, product_id, quantity, version)
  VALUES (NEW.store_id, NEW.product_id, NEW.delta, 0)
  ON CONFLICT (store_id, product_id) DO UPDATE SET quantity = quantity + excluded.quantity;
  DELETE FROM capture_control WHERE id = 2;
END;

CREATE TRIGGER tillsync_ledger_inventory_items_direct_update AFTER UPDATE OF quantity ON inventory_items
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND NOT EXISTS (SELECT 1 FROM capture_control WHERE id = 2) AND NEW.quantity IS NOT OLD.quantity
BEGIN
  INSERT OR REPLACE INTO capture_control (id, applying) VALUES (2, 0);
  INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (NEW.store_id, NEW.product_id, coalesce(NEW.quantity, 0) - coalesce(OLD.quantity, 0), 'COUNT');
  DELETE FROM capture_control WHERE id = 2;
END;

CREATE TRIGGER tillsync_ledger_inventory_items_direct_insert AFTER INSERT ON inventory_items
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND NOT EXISTS (SELECT 1 FROM capture_control WHERE id = 2) AND coalesce(NEW.quantity, 0) <> 0
BEGIN
  INSERT OR REPLACE INTO capture_control (id, applying) VALUES (2, 0);
  INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (NEW.store_id, NEW.product_id, NEW.quantity, 'COUNT');
  DELETE FROM capture_control WHERE id = 2;
END;

CREATE TRIGGER tillsync_local_edit_categories_update AFTER UPDATE ON categories
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND NOT EXISTS (SELECT 1 FROM capture_control WHERE id = 2) AND (NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name)
BEGIN
  INSERT INTO local_edits (entity_type, entity_id, central_data)
  SELECT 'categories', OLD.id, json_object('id', OLD.id, 'name', OLD.name, 'version', OLD.version)
   WHERE NOT EXISTS (SELECT 1 FROM local_edits WHERE entity_type = 'categories' AND entity_id = OLD.id AND discarded_at IS NULL);
END;

CREATE TRIGGER tillsync_local_edit_categories_delete AFTER DELETE ON categories
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND NOT EXISTS (SELECT 1 FROM capture_control WHERE id = 2)
BEGIN
  INSERT INTO local_edits (entity_type, entity_id, central_data)
  SELECT 'categories', OLD.id, json_object('id', OLD.id, 'name', OLD.name, 'version', OLD.version)
   WHERE NOT EXISTS (SELECT 1 FROM local_edits WHERE entity_type = 'categories' AND entity_id = OLD.id AND discarded_at IS NULL);
END;

CREATE TRIGGER tillsync_local_edit_categories_insert AFTER INSERT ON categories
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND NOT EXISTS (SELECT 1 FROM capture_control WHERE id = 2)
BEGIN
  INSERT INTO local_edits (entity_type, entity_id, central_data)
  SELECT 'categories', NEW.id, NULL
   WHERE NOT EXISTS (SELECT 1 FROM local_edits WHERE entity_type = 'categories' AND entity_id = NEW.id AND discarded_at IS NULL);
END;

CREATE TRIGGER tillsync_local_edit_brands_update AFTER UPDATE ON brands
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND NOT EXISTS (SELECT 1 FROM capture_control WHERE id = 2) AND (NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name)
BEGIN
  INSERT INTO local_edits (entity_type, entity_id, central_data)
  SELECT 'brands', OLD.id, json_object('id', OLD.id, 'name', OLD.name, 'version', OLD.version)
   WHERE NOT EXISTS (SELECT 1 FROM local_edits WHERE entity_type = 'brands' AND entity_id = OLD.id AND discarded_at IS NULL);
END;

CREATE TRIGGER tillsync_local_edit_brands_delete AFTER DELETE ON brands
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND NOT EXISTS (SELECT 1 FROM capture_control WHERE id = 2)
BEGIN
  INSERT INTO local_edits (entity_type, entity_id, central_data)
  SELECT 'brands', OLD.id, json_object('id', OLD.id, 'name', OLD.name, 'version', OLD.version)
   WHERE NOT EXISTS (SELECT 1 FROM local_edits WHERE entity_type = 'brands' AND entity_id = OLD.id AND discarded_at IS NULL);
END;

CREATE TRIGGER tillsync_local_edit_brands_insert AFTER INSERT ON brands
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND NOT EXISTS (SELECT 1 FROM capture_control WHERE id = 2)
BEGIN
  INSERT INTO local_edits (entity_type, entity_id, central_data)
  SELECT 'brands', NEW.id, NULL
   WHERE NOT EXISTS (SELECT 1 FROM local_edits WHERE entity_type = 'brands' AND entity_id = NEW.id AND discarded_at IS NULL);
END;

CREATE TRIGGER tillsync_local_edit_inventory_items_update AFTER UPDATE ON inventory_items
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND NOT EXISTS (SELECT 1 FROM capture_control WHERE id = 2) AND (NEW.id IS NOT OLD.id OR NEW.store_id IS NOT OLD.store_id OR NEW.product_id IS NOT OLD.product_id)
BEGIN
  INSERT INTO local_edits (entity_type, entity_id, central_data)
  SELECT 'inventory_items', OLD.id, json_object('id', OLD.id, 'store_id', OLD.store_id, 'product_id', OLD.product_id, 'quantity', OLD.quantity, 'version', OLD.version)
   WHERE NOT EXISTS (SELECT 1 FROM local_edits WHERE entity_type = 'inventory_items' AND entity_id = OLD.id AND discarded_at IS NULL);
END;

CREATE TRIGGER tillsync_local_edit_inventory_items_delete AFTER DELETE ON inventory_items
WHEN (SELECT applying FROM capture_control WHERE id = 1) IS NOT 1 AND NOT EXISTS (SELECT 1 FROM capture_control WHERE id = 2)
BEGIN
  INSERT INTO local_edits (entity_type, entity_id, central_data)
  SELECT 'inventory_items', OLD.id, json_object('id', OLD.id, 'store_id', OLD.store_id, 'product_id', OLD.product_id, 'quantity', OLD.quantity, 'version', OLD.version)
   WHERE NOT EXISTS (SELECT 1 FROM local_edits WHERE entity_type = 'inventory_items' AND entity_id = OLD.id AND discarded_at IS NULL);
END;

CREATE TRIGGER tillsync_capture_mode_insert AFTER INSERT ON sync_state
WHEN NEW.key = 'mode'
BEGIN
  UPDATE capture_control SET mode = coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE') WHERE id = 1;
END;

CREATE TRIGGER tillsync_capture_mode_update AFTER UPDATE ON sync_state
WHEN NEW.key = 'mode' OR OLD.key = 'mode'
BEGIN
  UPDATE capture_control SET mode = coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE') WHERE id = 1;
END;

CREATE TRIGGER tillsync_capture_mode_delete AFTER DELETE ON sync_state
WHEN OLD.key = 'mode'
BEGIN
  UPDATE capture_control SET mode = coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE') WHERE id = 1;
END;

CREATE TRIGGER tillsync_outbox_insert AFTER INSERT ON outbox
WHEN (SELECT NEW.id <= f.floor OR (NEW.confirmed = 2 AND NEW.id - f.indexed_through >= 512)
  FROM outbox_id_floor AS f WHERE f.id = 1)
BEGIN
  SELECT RAISE(ABORT, 'outbox id reused: insert outbox rows with NEXT_OUTBOX_ID_SQL (capture/outbox-ids.ts)')
   WHERE NEW.id <= coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0);
  UPDATE outbox SET confirmed = 0 WHERE id > (SELECT indexed_through FROM outbox_id_floor WHERE id = 1) AND confirmed = 2;
  UPDATE outbox_id_floor SET indexed_through = NEW.id WHERE id = 1;
END;

-- AlterEnum
ALTER TYPE "adjustment_reason" ADD VALUE 'TRANSFER';

-- DropIndex
DROP INDEX "inventory_adjustments_store_id_product_id_idx";

-- AlterTable
ALTER TABLE "inventory_adjustments" ADD COLUMN     "note" TEXT,
ADD COLUMN     "operator_name" TEXT,
ADD COLUMN     "transfer_id" UUID;

-- CreateIndex
CREATE INDEX "inventory_adjustments_store_id_product_id_created_at_id_idx" ON "inventory_adjustments"("store_id", "product_id", "created_at", "id");

-- Stock is the sum of its ledger from now on: every quantity central holds that no adjustment
-- explains (set by the old POST /api/stock, which overwrote it) becomes one opening COUNT, so
-- sum(delta) = quantity holds for every item. inventory_items itself is not touched.
INSERT INTO "inventory_adjustments" ("store_id", "product_id", "delta", "reason", "operator_name", "note")
SELECT i."store_id", i."product_id", i."quantity" - coalesce(l."moved", 0), 'COUNT', 'migration', 'opening balance'
  FROM "inventory_items" i
  LEFT JOIN (SELECT "store_id", "product_id", sum("delta")::int AS "moved" FROM "inventory_adjustments"
              GROUP BY "store_id", "product_id") l
    ON l."store_id" = i."store_id" AND l."product_id" = i."product_id"
 WHERE i."quantity" <> coalesce(l."moved", 0);

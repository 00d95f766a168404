-- CreateIndex
CREATE INDEX "change_feed_store_id_position_idx" ON "change_feed"("store_id", "position");

-- CreateIndex
CREATE INDEX "change_feed_global_position_idx" ON "change_feed"("position") WHERE (store_id IS NULL);


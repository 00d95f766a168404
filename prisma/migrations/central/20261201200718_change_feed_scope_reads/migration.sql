-- CreateIndex
CREATE INDEX "change_feed_store_id_position_idx" ON "change_feed"("store_id", "position");

-- CreateIndex
CREATE INDEX "change_feed_global_position_idx" ON "change_feed"("position") WHERE (store_id IS NULL);

-- A pull's page of the feed in a store's scope (store/change-feed.ts explains the shape): the
-- all-stores rows and the store's rows, each an index range scan in position order cut at the
-- limit, merged in order. The planner picks that only when it expects many rows per store;
-- without statistics (a freshly filled or restored table) it guesses a few dozen and prefers a
-- bitmap scan and a sort of everything above the cursor. The function's SET clauses leave it
-- only the ordered index scans, for this statement alone. JIT off: a disabled plan's penalty
-- cost would otherwise make the planner compile one (60-300 ms).
CREATE FUNCTION tillsync_feed_page(since BIGINT, store UUID, only_type TEXT, page_size INTEGER)
  RETURNS TABLE (feed_position BIGINT, feed_entity_type TEXT, feed_entity_id UUID)
  LANGUAGE sql STABLE
  SET enable_seqscan = off SET enable_bitmapscan = off SET jit = off
AS $$
  SELECT position, entity_type, entity_id FROM (
    (SELECT f.position, f.entity_type, f.entity_id FROM change_feed f
      WHERE f.store_id IS NULL AND f.position > since AND (only_type IS NULL OR f.entity_type = only_type)
      ORDER BY f.position LIMIT page_size)
    UNION ALL
    (SELECT f.position, f.entity_type, f.entity_id FROM change_feed f
      WHERE f.store_id = store AND f.position > since AND (only_type IS NULL OR f.entity_type = only_type)
      ORDER BY f.position LIMIT page_size)
  ) scope ORDER BY position LIMIT page_size
$$;

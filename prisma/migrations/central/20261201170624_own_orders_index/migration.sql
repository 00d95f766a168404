-- CreateIndex
CREATE INDEX "sale_orders_terminal_id_created_at_id_idx" ON "sale_orders"("terminal_id", "created_at", "id");

import { Router } from "express";
import { z } from "zod";
import {
  parseOrThrow,
  stockHistoryQuerySchema,
  stockMovementRequestSchema,
  storeIdSchema,
  uuidSchema,
} from "@tillsync/shared";
import { route } from "../http/async-route";
import type { StockLedger } from "../store/stock-ledger";

const itemParams = z.object({ storeId: storeIdSchema, productId: uuidSchema });

/**
 * Stock at central: POST /api/stock appends a movement to the ledger (a count, a receipt,
 * damage, or a transfer between stores), GET /api/stock/:storeId/:productId/history reads an
 * item's ledger. Behind operatorAuth and the action guard; the movement names its operator.
 */
export function stockRoutes(store: { stock: StockLedger }): Router {
  const r = Router();
  r.post(
    "/stock",
    route(async (req, res) => {
      const body = parseOrThrow(stockMovementRequestSchema, req.body, "stock movement");
      const { items, adjustments } = await store.stock.move(body, { operatorName: req.operator!.name });
      res.json({ inventoryItem: items[items.length - 1], inventoryItems: items, adjustments });
    }),
  );
  r.get(
    "/stock/:storeId/:productId/history",
    route(async (req, res) => {
      const { storeId, productId } = parseOrThrow(itemParams, req.params, "stock item");
      const q = parseOrThrow(stockHistoryQuerySchema, req.query, "stock history query");
      res.json(await store.stock.history(storeId, productId, q));
    }),
  );
  return r;
}

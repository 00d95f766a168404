import { Router } from "express";
import { z } from "zod";
import {
  createStoreRequestSchema,
  createTerminalRequestSchema,
  NotFoundError,
  parseOrThrow,
  setStockRequestSchema,
  StateConflictError,
  upsertProductRequestSchema,
  uuidSchema,
} from "@tillsync/shared";
import { generateTerminalKey } from "../auth/terminal-keys";
import type { CentralDb } from "../db/database";
import { route } from "../http/async-route";
import { outboxTotals } from "../hub/heartbeat-sweep";
import type { Hub } from "../hub/hub";
import { terminalHealth } from "../hub/terminal-health";

const idParam = z.object({ id: uuidSchema });

/** Lag is counted up to this many feed entries; more reads as this number. */
const LAG_CAP = 100_000;

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === "23505";
}

/**
 * Admin endpoints for bootstrapping, terminals and the catalogue; mounted behind adminAuth.
 * `hub` disconnects the sockets of a terminal whose key is rotated or that is disabled.
 */
export function adminRoutes(db: CentralDb, hub?: Hub): Router {
  const r = Router();

  r.post(
    "/stores",
    route(async (req, res) => {
      const body = parseOrThrow(createStoreRequestSchema, req.body, "store");
      try {
        const store = await db.prisma.store.create({ data: { ...(body.id ? { id: body.id } : {}), name: body.name } });
        res.status(201).json({ store: { id: store.id, name: store.name } });
      } catch (err) {
        if (isUniqueViolation(err) || (err as { code?: string }).code === "P2002")
          throw new StateConflictError(`store ${body.id} already exists`);
        throw err;
      }
    }),
  );

  r.post(
    "/terminals",
    route(async (req, res) => {
      const body = parseOrThrow(createTerminalRequestSchema, req.body, "terminal");
      const store = await db.prisma.store.findUnique({ where: { id: body.storeId } });
      if (!store)
        throw new NotFoundError(`store ${body.storeId} does not exist; create it with POST /api/stores first`);
      const { key, hash, prefix } = generateTerminalKey();
      try {
        const terminal = await db.prisma.$transaction(async (tx) => {
          const t = await tx.terminal.create({
            data: { ...(body.id ? { id: body.id } : {}), name: body.name, storeId: body.storeId },
          });
          await tx.terminalKey.create({ data: { terminalId: t.id, keyHash: hash, keyPrefix: prefix } });
          return t;
        });
        res.status(201).json({
          terminal: { id: terminal.id, name: terminal.name, storeId: terminal.storeId, status: terminal.status },
          key,
        });
      } catch (err) {
        if ((err as { code?: string }).code === "P2002")
          throw new StateConflictError(`terminal ${body.id} already exists`);
        throw err;
      }
    }),
  );

  r.get(
    "/terminals",
    route(async (_req, res) => {
      const terminals = await db.prisma.terminal.findMany({ orderBy: { createdAt: "asc" } });
      // Lag: feed entries in the terminal's scope after its acknowledged cursor (other stores'
      // stock never reaches it, so it is not lag). Capped, so a new terminal costs one bounded scan.
      const { rows } = await db.pool.query<{ id: string; lag: number }>(
        `SELECT t.id, (SELECT count(*)::int FROM (SELECT 1 FROM change_feed f
                        WHERE f.position > t.acked_cursor AND (f.store_id IS NULL OR f.store_id = t.store_id)
                        LIMIT $1) x) AS lag
           FROM terminals t`,
        [LAG_CAP],
      );
      const lagOf = new Map(rows.map((r) => [r.id, r.lag]));
      const emergencyStop = (await hub?.emergencyState())?.stopped ?? false;
      res.json({
        terminals: terminals.map((t) => {
          const hb = t.lastHeartbeat as {
            status?: string;
            outbox?: Record<string, { synced?: number; conflicts?: number }>;
          } | null;
          const totals = outboxTotals(hb);
          return {
            id: t.id,
            name: t.name,
            storeId: t.storeId,
            status: t.status,
            health: terminalHealth({ status: t.status, lastSyncAt: t.lastSyncAt, lastHeartbeat: hb, emergencyStop }),
            agentStatus: hb?.status ?? null,
            paused: t.paused,
            lastSeenAt: t.lastSeenAt?.toISOString() ?? null,
            lastSyncAt: t.lastSyncAt?.toISOString() ?? null,
            ackedCursor: t.ackedCursor.toString(),
            lag: lagOf.get(t.id) ?? 0,
            outbox: {
              ...totals,
              synced: Object.values(hb?.outbox ?? {}).reduce((n, c) => n + (c.synced ?? 0), 0),
              conflicts: Object.values(hb?.outbox ?? {}).reduce((n, c) => n + (c.conflicts ?? 0), 0),
            },
          };
        }),
      });
    }),
  );

  r.post(
    "/terminals/:id/rotate-key",
    route(async (req, res) => {
      const { id } = parseOrThrow(idParam, req.params, "terminal id");
      const { key, hash, prefix } = generateTerminalKey();
      await db.prisma.$transaction(async (tx) => {
        const t = await tx.terminal.findUnique({ where: { id } });
        if (!t) throw new NotFoundError(`terminal ${id} does not exist`);
        await tx.terminalKey.updateMany({
          where: { terminalId: id, revokedAt: null },
          data: { revokedAt: new Date() },
        });
        await tx.terminalKey.create({ data: { terminalId: id, keyHash: hash, keyPrefix: prefix } });
      });
      // Sockets authenticated with the old key go now; they cannot reconnect with it.
      await hub?.disconnectTerminal(id);
      res.json({ terminalId: id, key });
    }),
  );

  r.post(
    "/terminals/:id/disable",
    route(async (req, res) => {
      const { id } = parseOrThrow(idParam, req.params, "terminal id");
      const { count } = await db.prisma.terminal.updateMany({ where: { id }, data: { status: "DISABLED" } });
      if (count === 0) throw new NotFoundError(`terminal ${id} does not exist`);
      await hub?.disconnectTerminal(id, { forgetTriggers: true });
      res.json({ terminalId: id, status: "DISABLED" });
    }),
  );

  r.post(
    "/products",
    route(async (req, res) => {
      const b = parseOrThrow(upsertProductRequestSchema, req.body, "product");
      try {
        const { rows } = await db.pool.query(
          `INSERT INTO products (id, sku, name, price_cents, tax_rate_bp, category_id, brand_id, active)
           VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, coalesce($5, 0), $6, $7, coalesce($8, true))
           ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, name = excluded.name, price_cents = excluded.price_cents,
             tax_rate_bp = excluded.tax_rate_bp, category_id = excluded.category_id, brand_id = excluded.brand_id,
             active = excluded.active, updated_at = now()
           RETURNING id, sku, name, price_cents, tax_rate_bp, active, version`,
          [
            b.id ?? null,
            b.sku,
            b.name,
            b.priceCents,
            b.taxRateBp ?? null,
            b.categoryId ?? null,
            b.brandId ?? null,
            b.active ?? null,
          ],
        );
        res.status(200).json({ product: rows[0] });
      } catch (err) {
        if (isUniqueViolation(err)) throw new StateConflictError(`sku ${b.sku} belongs to another product`);
        throw err;
      }
    }),
  );

  r.post(
    "/stock",
    route(async (req, res) => {
      const b = parseOrThrow(setStockRequestSchema, req.body, "stock count");
      const { rows } = await db.pool.query(
        `INSERT INTO inventory_items (store_id, product_id, quantity) VALUES ($1, $2, $3)
         ON CONFLICT (store_id, product_id) DO UPDATE SET quantity = excluded.quantity, updated_at = now()
         RETURNING id, store_id, product_id, quantity, version`,
        [b.storeId, b.productId, b.quantity],
      );
      res.json({ inventoryItem: rows[0] });
    }),
  );

  return r;
}

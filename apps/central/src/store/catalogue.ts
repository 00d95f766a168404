import { StateConflictError } from "@tillsync/shared";
import type { Queryable } from "./transaction";

export interface ProductInput {
  id?: string;
  sku: string;
  name: string;
  priceCents: number;
  taxRateBp?: number;
  categoryId?: string | null;
  brandId?: string | null;
  active?: boolean;
}

/**
 * Central's own catalogue writes (the admin API; stock moves through store/stock-ledger.ts). Plain writes to synced tables:
 * the feed triggers announce them and bump `version`, as for any other writer.
 */
export interface CatalogueStore {
  /** Creates or replaces a product; an sku another product holds is a StateConflictError. */
  upsertProduct(p: ProductInput): Promise<Record<string, unknown>>;
}

export function catalogueStore(q: Queryable): CatalogueStore {
  return {
    async upsertProduct(b) {
      try {
        const { rows } = await q.query(
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
        return rows[0]!;
      } catch (err) {
        if ((err as { code?: string }).code === "23505")
          throw new StateConflictError(`sku ${b.sku} belongs to another product`);
        throw err;
      }
    },
  };
}

import { Router } from "express";
import { parseOrThrow, upsertProductRequestSchema } from "@tillsync/shared";
import { route } from "../http/async-route";
import type { CatalogueStore } from "../store/catalogue";

/** Central's catalogue writes (they enter the change feed); behind operatorAuth and the action guard. */
export function catalogueRoutes(store: { catalogue: CatalogueStore }): Router {
  const r = Router();
  r.post(
    "/products",
    route(async (req, res) => {
      const body = parseOrThrow(upsertProductRequestSchema, req.body, "product");
      res.status(200).json({ product: await store.catalogue.upsertProduct(body) });
    }),
  );
  return r;
}

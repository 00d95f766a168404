import path from "node:path";
import express, { Router } from "express";
import { buildOpenApiDocument } from "./openapi-document";

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tillsync central API</title>
<link rel="stylesheet" href="/api-docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api-docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/api-docs.json", dom_id: "#swagger-ui" });</script>
</body></html>`;

/** GET /api-docs.json (the document) and GET /api-docs (Swagger UI from swagger-ui-dist, no CDN). */
export function docsRoutes(): Router {
  const doc = buildOpenApiDocument(); // built once: the schemas do not change at run time
  const r = Router();
  r.get("/api-docs.json", (_req, res) => {
    res.json(doc);
  });
  r.get("/api-docs", (_req, res) => {
    res.type("html").send(PAGE);
  });
  r.use(
    "/api-docs/assets",
    express.static(path.dirname(require.resolve("swagger-ui-dist/package.json")), { index: false }),
  );
  return r;
}

import type { Express } from "express";

interface Layer {
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/**
 * Every route an Express 5 app really serves, as "METHOD /path", found by walking its router
 * stack (mounted routers included, with their mount paths). Middleware is not a route.
 */
export function listExpressRoutes(app: Express): string[] {
  const out = new Set<string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths) {
          for (const [m, on] of Object.entries(layer.route.methods))
            if (on && m !== "_all") out.add(`${m.toUpperCase()} ${join(prefix, p)}`);
        }
      } else if (layer.handle.stack) {
        const mount = typeof layer.rawPath === "string" ? layer.rawPath : "";
        walk(layer.handle.stack, join(prefix, mount));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, "");
  return [...out].sort();
}

function join(a: string, b: string): string {
  const s = `${a}/${b}`.replace(/\/+/g, "/");
  return s.length > 1 ? s.replace(/\/$/, "") : s;
}

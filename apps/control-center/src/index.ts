import { existsSync } from "node:fs";
import path from "node:path";

/**
 * The Node side of the control center: where its built assets are, for central to serve them
 * from disk (`express.static(consoleAssetsDir())` at /dashboard, with index.html for every
 * other /dashboard/* path). Both src/ and the compiled server/ sit beside dist/.
 */
export function consoleAssetsDir(): string {
  return path.resolve(__dirname, "..", "dist");
}

/** The page central answers for every /dashboard/* path that is not an asset (history routing). */
export function consoleIndexHtml(): string {
  return path.join(consoleAssetsDir(), "index.html");
}

/** False until `npm run build` has produced the assets (central can then say how to build them). */
export function consoleAssetsBuilt(): boolean {
  return existsSync(consoleIndexHtml());
}

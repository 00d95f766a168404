// Bundles the console for browsers: dist/index.html, dist/app.js (one ES module bundle with
// Preact, socket.io-client, zod and the shared schemas) and dist/app.css. Nothing is loaded
// from the network at run time, so it works on a shop LAN without internet.
// `node scripts/build.mjs [--outdir DIR]`.
import { build } from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const at = process.argv.indexOf("--outdir");
const outdir = at > 0 ? path.resolve(process.argv[at + 1]) : path.join(root, "dist");

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: { app: "src/main.tsx" },
  outdir,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  // Workspaces are bundled from their TypeScript sources, as tests and typecheck see them.
  conditions: ["@tillsync/source"],
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: true,
  legalComments: "none",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});
const html = await readFile(path.join(root, "src/index.html"), "utf8");
await writeFile(path.join(outdir, "index.html"), html);
console.log(`control center built into ${path.relative(process.cwd(), outdir) || "."}`);

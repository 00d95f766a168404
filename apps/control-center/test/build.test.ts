import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { consoleAssetsBuilt, consoleAssetsDir, consoleIndexHtml } from "../src";

/** The built console is three files that load nothing from the network (it must work on an offline LAN). */
describe("console build", () => {
  const out = mkdtempSync(path.join(os.tmpdir(), "tillsync-console-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  beforeAll(() => {
    const r = spawnSync(process.execPath, [path.join(__dirname, "../scripts/build.mjs"), "--outdir", out], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
  }, 120_000);

  it("writes index.html, one JS bundle and one CSS file", () => {
    expect(readdirSync(out).sort()).toEqual(["app.css", "app.js", "index.html"]);
  });

  it("references its assets under /dashboard only, never another host", () => {
    const html = readFileSync(path.join(out, "index.html"), "utf8");
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.sort()).toEqual(["/dashboard/app.css", "/dashboard/app.js"]);
    const css = readFileSync(path.join(out, "app.css"), "utf8");
    expect(css).not.toMatch(/@import|url\(\s*["']?(https?:)?\/\//);
  });

  it("loads no script, style or font from another origin at run time", () => {
    const js = readFileSync(path.join(out, "app.js"), "utf8");
    // URLs in the bundle are names (XML namespaces, JSON-schema ids, a doc link in an error),
    // never something fetched: no import(), no <script src>, no fetch of an absolute URL.
    expect(js).not.toMatch(/import\(\s*["']https?:/);
    expect(js).not.toMatch(/fetch\(\s*["']https?:/);
    expect(js).not.toMatch(/fonts\.googleapis|cdn\.jsdelivr|unpkg\.com/);
  });

  it("tells central where the assets are", () => {
    expect(consoleAssetsDir()).toBe(path.resolve(__dirname, "..", "dist"));
    expect(consoleIndexHtml()).toBe(path.join(consoleAssetsDir(), "index.html"));
    expect(typeof consoleAssetsBuilt()).toBe("boolean");
  });
});

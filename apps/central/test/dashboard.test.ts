import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import { createApp } from "../src/app";
import { useTestCentral } from "../testing";
import { signIn } from "./support/console-session";

const { central } = useTestCentral("dashboard");

/** An app like central's, on its own port, serving console files from `dir`. */
async function serveWith(dir: string): Promise<{ url: string; server: Server }> {
  const r = central.running;
  const app = createApp({
    store: r.store,
    redis: r.redis,
    adminToken: central.adminToken,
    hub: r.hub,
    consoleAssets: {
      dir,
      indexHtml: path.join(dir, "index.html"),
      built: () => existsSync(path.join(dir, "index.html")),
    },
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("serving the control center", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "console-"));
  let site: { url: string; server: Server };
  beforeAll(async () => {
    writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>console shell</title>");
    writeFileSync(path.join(dir, "app.js"), "console.log('app');".repeat(200));
    site = await serveWith(dir);
  });
  afterAll(async () => {
    site.server.closeAllConnections();
    await new Promise((r) => site.server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers the shell for /dashboard and every page path, uncached, with a strict CSP", async () => {
    for (const p of [
      "/dashboard",
      "/dashboard/terminals",
      "/dashboard/conflicts/123?status=all",
      "/dashboard/sign-in?next=/x",
    ]) {
      const res = await fetch(`${site.url}${p}`);
      expect([p, res.status]).toEqual([p, 200]);
      expect(await res.text()).toContain("console shell");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("serves the assets from disk, compressed when asked", async () => {
    const res = await fetch(`${site.url}/dashboard/app.js`, { headers: { "accept-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(await res.text()).toContain("console.log");
  });

  it("answers 503 naming the build command when the console is not built, and keeps serving the API", async () => {
    const missing = await serveWith(path.join(dir, "no-such-build"));
    try {
      const res = await fetch(`${missing.url}/dashboard/terminals`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain("npm run build -w @tillsync/control-center");
      expect((await fetch(`${missing.url}/health`)).status).toBe(200);
    } finally {
      missing.server.closeAllConnections();
      await new Promise((r) => missing.server.close(r));
    }
  });

  it("puts bull-board at /dashboard/queues behind the sign-in: operators read, only admins act", async () => {
    const none = await fetch(`${central.url}/dashboard/queues`, { redirect: "manual" });
    expect(none.status).toBe(302);
    expect(none.headers.get("location")).toBe("/dashboard/sign-in?next=%2Fdashboard%2Fqueues");
    const viewer = await signIn(central.url, (await central.createOperator("q-viewer", "viewer")).token);
    expect((await fetch(`${central.url}/dashboard/queues`, { headers: { cookie: viewer.cookie } })).status).toBe(403);
    const operator = await signIn(central.url, (await central.createOperator("q-operator", "operator")).token);
    const board = await fetch(`${central.url}/dashboard/queues`, { headers: { cookie: operator.cookie } });
    expect(board.status).toBe(200);
    expect(await board.text()).toMatch(/bull/i);
    const queues = await fetch(`${central.url}/dashboard/queues/api/queues`, { headers: { cookie: operator.cookie } });
    expect(queues.status).toBe(200);
    const names = ((await queues.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
    expect(names).toEqual(["hub", "triggers"].sort());
    const act = await fetch(`${central.url}/dashboard/queues/api/queues/hub/clean/failed`, {
      method: "PUT",
      headers: { cookie: operator.cookie },
    });
    expect(act.status).toBe(403);
    const admin = await signIn(central.url, central.adminToken);
    const foreign = await fetch(`${central.url}/dashboard/queues/api/queues/hub/clean/failed`, {
      method: "PUT",
      headers: { cookie: admin.cookie, origin: "http://evil.example" },
    });
    expect(foreign.status).toBe(403);
    const ok = await fetch(`${central.url}/dashboard/queues/api/queues/hub/clean/failed`, {
      method: "PUT",
      headers: { cookie: admin.cookie, origin: central.url },
    });
    expect(ok.status).toBe(200);
  });
});

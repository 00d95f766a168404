import { change, TerminalClient } from "@tillsync/testkit";
import { useTestCentral } from "@tillsync/central/testing";
import { callFromPage, openBrowser, screenshot, signInThroughPage, type TestBrowser } from "./support/browser";

const { central, pg } = useTestCentral("browser_roles", {
  SYNC_POLICY_OVERRIDES: { products: { strategy: "MANUAL_MERGE" } },
});
let browser: TestBrowser;

beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => browser?.close());

/** Test ids a viewer must never be offered (docs/control-center-api.md, flow 6). */
function isChangeControl(id: string): boolean {
  if (id === "sign-in-submit") return false;
  return (
    /-(start|submit|confirm)$/.test(id) ||
    /(sync-now|pause|rotate-key|disable|enable)$/.test(id) ||
    id === "resolve-form" ||
    id === "terminal-create-open"
  );
}

async function pendingConflict(): Promise<string> {
  const t = await central.provisionTerminal({ name: "Till R1" });
  const p = (
    await central.admin<{ product: { id: string; version: number } }>("POST", "/api/products", {
      sku: `R-${Date.now()}`,
      name: "Rye",
      priceCents: 300,
    })
  ).body.product;
  await central.admin("POST", "/api/products", { id: p.id, sku: `R-${p.id}`, name: "Rye", priceCents: 320 });
  const [res] = await new TerminalClient(central.url, t.terminalId, t.key).push([
    change(
      "products",
      { id: p.id, name: "Rye (till)", price_cents: 280, sku: `R-${p.id}` },
      { operation: "UPDATE", baseVersion: p.version },
    ),
  ]);
  return (res as { conflictId: string }).conflictId;
}

describe("keys once, and a viewer who cannot change anything", () => {
  it("creates a terminal from the console and shows its key once; the key works for the agent", async () => {
    const { page } = browser;
    const s = await central.admin<{ store: { id: string } }>("POST", "/api/stores", { name: "Market Square" });
    await signInThroughPage(page, central.url, central.adminToken, "/dashboard/terminals");
    await page.getByTestId("terminals-page").waitFor();
    await page.getByTestId("terminal-create-open").click();
    await page.getByTestId("terminal-create-name").fill("Till M1");
    await page.getByTestId("terminal-create-store").selectOption(s.body.store.id);
    await page.getByTestId("terminal-create-code").fill("market-01");
    await page.getByTestId("terminal-create-submit").click();
    const key = (await page.getByTestId("created-key").getByTestId("secret-value").textContent())!.trim();
    expect(key).toMatch(/^tsk_/);
    expect(await page.getByTestId("created-key").textContent()).toMatch(/once|again/i);
    await screenshot(page, "terminal-created-key");
    await page.getByTestId("secret-dismiss").click();
    expect(await page.getByTestId("created-key").count()).toBe(0);
    await page.reload();
    await page.locator('[data-testid="terminal-row"][data-terminal-name="Till M1"]').waitFor();
    expect(await page.getByTestId("secret-value").count()).toBe(0);
    expect(await page.content()).not.toContain(key);
    const id = (await page
      .locator('[data-testid="terminal-row"][data-terminal-name="Till M1"]')
      .getAttribute("data-terminal-id"))!;
    const beat = await new TerminalClient(central.url, id, key).raw("POST", "/api/sync/heartbeat", {
      terminalId: id,
      status: "idle",
      outbox: {},
    });
    expect(beat.status).toBe(200);
    const stored = await pg.query(`SELECT key_hash FROM terminal_keys WHERE terminal_id = $1`, [id]);
    expect(stored.rows[0].key_hash).not.toBe(key);
  });

  it("shows a viewer every page without a single control that changes something, and answers its API calls 403", async () => {
    const { page } = browser;
    const conflictId = await pendingConflict();
    const terminalId = (await central.admin<{ terminals: Array<{ id: string }> }>("GET", "/api/terminals")).body
      .terminals[0]!.id;
    const schedule = await central.admin("POST", "/api/sync/schedules", { action: "create", scheduleId: "nightly" });
    expect(schedule.status).toBe(201);
    const viewer = await central.createOperator("Vera", "viewer");
    await signInThroughPage(page, central.url, viewer.token);
    const pages: Array<[string, string]> = [
      ["/dashboard", "overview-page"],
      ["/dashboard/terminals", "terminals-page"],
      [`/dashboard/terminals/${terminalId}`, "terminal-detail-page"],
      ["/dashboard/conflicts", "conflicts-page"],
      [`/dashboard/conflicts/${conflictId}`, "conflict-page"],
      ["/dashboard/schedules", "schedules-page"],
      ["/dashboard/audit", "audit-page"],
    ];
    for (const [path, testId] of pages) {
      await page.goto(`${central.url}${path}`);
      await page.getByTestId(testId).waitFor();
      await page.locator('[data-testid="live-status"][data-state="live"]').waitFor();
      const ids = await page.evaluate(() =>
        [...document.querySelectorAll("[data-testid]")].map((e) => e.getAttribute("data-testid")!),
      );
      expect([path, ids.filter(isChangeControl)]).toEqual([path, []]);
    }
    expect(await page.getByRole("link", { name: "Operators" }).count()).toBe(0);

    const before = await pg.query(
      `SELECT (SELECT count(*) FROM terminals) AS t, (SELECT count(*) FROM conflicts WHERE status = 'PENDING') AS c,
      (SELECT count(*) FROM operators) AS o, (SELECT status FROM terminals WHERE id = $1) AS s`,
      [terminalId],
    );
    const attempts: Array<[string, unknown]> = [
      ["/api/sync/emergency-stop", { reason: "viewer" }],
      [`/api/terminals/${terminalId}/disable`, { reason: "viewer" }],
      [`/api/terminals/${terminalId}/rotate-key`, {}],
      ["/api/sync/resolve", { conflictId, resolution: "KEEP_CENTRAL" }],
      ["/api/terminals", { name: "Sneaky", storeId: "00000000-0000-4000-8000-000000000000" }],
      ["/api/sync/schedules", { action: "delete", scheduleId: "nightly" }],
      ["/api/sync/all", { allTerminals: true }],
      ["/api/operators", { name: "Mallory", role: "admin" }],
    ];
    for (const [path, body] of attempts) {
      const r = await callFromPage(page, "POST", path, body);
      expect([path, r.status, (r.body as { error: { code: string } }).error.code]).toEqual([path, 403, "FORBIDDEN"]);
    }
    const after = await pg.query(
      `SELECT (SELECT count(*) FROM terminals) AS t, (SELECT count(*) FROM conflicts WHERE status = 'PENDING') AS c,
      (SELECT count(*) FROM operators) AS o, (SELECT status FROM terminals WHERE id = $1) AS s`,
      [terminalId],
    );
    expect(after.rows).toEqual(before.rows);
    expect(
      (await central.admin<{ emergency: { stopped: boolean } }>("GET", "/api/terminals")).body.emergency.stopped,
    ).toBe(false);
    expect((await central.admin<{ schedules: unknown[] }>("GET", "/api/sync/schedules")).body.schedules).toHaveLength(
      1,
    );
  });

  it("creates an operator from the console (token shown once, it signs in) and revokes it (its session ends)", async () => {
    const { page } = browser;
    await signInThroughPage(page, central.url, central.adminToken, "/dashboard/operators");
    await page.getByTestId("operators-page").waitFor();
    await page.getByTestId("operator-create-name").fill("Nina");
    await page.getByTestId("operator-create-role").selectOption("operator");
    await page.getByTestId("operator-create-submit").click();
    const token = (await page.getByTestId("operator-token").getByTestId("secret-value").textContent())!.trim();
    expect(token).toMatch(/^tso_/);
    await page.getByTestId("secret-dismiss").click();
    const row = page.locator('[data-testid="operator-row"][data-operator-name="Nina"]');
    await row.waitFor();
    expect(await page.content()).not.toContain(token);

    // Nina signs in in a second browser, then the admin revokes her: her next call is refused.
    const other = await openBrowser();
    try {
      await signInThroughPage(other.page, central.url, token);
      expect(await other.page.getByTestId("session-operator").getAttribute("data-role")).toBe("operator");
      await row.getByTestId("operator-revoke").click();
      await row.getByTestId("operator-revoke-confirm").click();
      await page.getByTestId("operator-done").waitFor();
      expect(await other.page.evaluate(() => fetch("/api/terminals").then((r) => r.status))).toBe(401);
      // Her live socket is dropped too: the console shows the sign-in page.
      await other.page.getByTestId("sign-in-form").waitFor();
    } finally {
      await other.close();
    }
    const audit = await central.admin<{ entries: Array<{ action: string; target: { label: string } }> }>(
      "GET",
      "/api/audit?targetType=operator&outcome=success",
    );
    expect(audit.body.entries.map((e) => [e.action, e.target.label])).toEqual([
      ["operator.revoke", "Nina"],
      ["operator.create", "Nina"],
      ["operator.create", "Vera"],
    ]);
  });

  it("creates a schedule read in a named time zone; an unknown zone cannot be submitted", async () => {
    const { page } = browser;
    await signInThroughPage(page, central.url, central.adminToken, "/dashboard/schedules");
    await page.getByTestId("schedule-create-form").waitFor();
    await page.getByTestId("schedule-cron").fill("15 6 * * *");
    await page.getByTestId("schedule-tz").fill("Mars/Olympus");
    expect(await page.getByTestId("schedule-create").isDisabled()).toBe(true);
    expect(await page.locator("#new-cron-hint").textContent()).toContain("Mars/Olympus is not a time zone");
    await page.getByTestId("schedule-tz").fill("Europe/Paris");
    await page.getByTestId("schedule-create").click();
    await page.getByTestId("schedule-done").waitFor();
    type Listed = { schedules: Array<{ id: string; cron: string; tz: string }> };
    const made = (await central.admin<Listed>("GET", "/api/sync/schedules")).body.schedules.find(
      (x) => x.cron === "15 6 * * *",
    );
    expect(made?.tz).toBe("Europe/Paris");
    await page
      .locator(`[data-testid="schedule-row"][data-schedule-id="${made!.id}"]`)
      .getByText("Europe/Paris")
      .waitFor();
    await central.admin("POST", "/api/sync/schedules", { action: "delete", scheduleId: made!.id });
  });

  it("takes a screenshot of the remaining pages as an admin", async () => {
    const { page } = browser;
    await signInThroughPage(page, central.url, central.adminToken, "/dashboard/schedules");
    await page.getByTestId("schedules-page").waitFor();
    await page.getByTestId("schedule-row").first().waitFor();
    await screenshot(page, "schedules");
    await page.getByRole("link", { name: "Operators" }).click();
    await page.getByTestId("operators-page").waitFor();
    await page.locator('[data-testid="operator-row"][data-operator-name="Vera"]').waitFor();
    await screenshot(page, "operators");
    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByTestId("overview-page").waitFor();
    await page.getByTestId("health-count-yellow").waitFor();
    await screenshot(page, "overview-admin", "console-overview.png");
    await page.goto(`${central.url}/dashboard/queues`);
    await page.locator("text=triggers").first().waitFor();
    await screenshot(page, "queues");
  });
});

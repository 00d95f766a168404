import { change, TerminalClient } from "@tillsync/testkit";
import { useTestCentral } from "@tillsync/central/testing";
import { openBrowser, screenshot, signInThroughPage, type TestBrowser } from "./support/browser";

const { central, pg } = useTestCentral("browser_stop", {
  SYNC_POLICY_OVERRIDES: { products: { strategy: "MANUAL_MERGE" } },
});
let browser: TestBrowser;

beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => browser?.close());

describe("the emergency stop and a manual resolution, from the console", () => {
  it("stops every terminal with a reason after a confirmation, shows it, resumes, and both are audited", async () => {
    const { page } = browser;
    const op = await central.createOperator("Olga", "operator");
    await central.provisionTerminal({ name: "Till S1" });
    await signInThroughPage(page, central.url, op.token);
    await page.getByTestId("overview-page").waitFor();
    await page.getByTestId("emergency-stop-start").click();
    await page.getByTestId("emergency-reason").fill("wrong price file loaded");
    await page.getByTestId("emergency-stop-continue").click();
    await page.getByTestId("emergency-stop-confirm").click();
    await page.locator('[data-testid="emergency-state"][data-stopped="true"]').waitFor();
    await page.getByTestId("emergency-reason-shown").filter({ hasText: "wrong price file loaded" }).waitFor();
    expect(
      (await central.admin<{ emergency: { stopped: boolean } }>("GET", "/api/terminals")).body.emergency.stopped,
    ).toBe(true);
    // The terminals show red while stopped.
    await page.getByRole("link", { name: "Terminals" }).click();
    await page.locator('[data-testid="terminal-row"][data-health="red"]').waitFor();
    await page.getByRole("link", { name: "Overview" }).click();
    await screenshot(page, "overview-stopped");
    await page.getByTestId("emergency-resume").click();
    await page.locator('[data-testid="emergency-state"][data-stopped="false"]').waitFor();
    expect(
      (await central.admin<{ emergency: { stopped: boolean } }>("GET", "/api/terminals")).body.emergency.stopped,
    ).toBe(false);

    await page.getByRole("link", { name: "Audit log" }).click();
    await page
      .locator('[data-testid="audit-row"][data-action="sync.emergency-stop"][data-outcome="success"]')
      .waitFor();
    await page.locator('[data-testid="audit-row"][data-action="sync.resume"][data-outcome="success"]').waitFor();
    expect(await page.getByTestId("audit-table").textContent()).toContain("wrong price file loaded");
    await screenshot(page, "audit");
  });

  it("resolves a MANUAL_MERGE conflict from its diff: an invalid price is caught before sending, the edited row lands at central", async () => {
    const { page } = browser;
    await signInThroughPage(page, central.url, central.adminToken, "/dashboard/conflicts");
    await page.getByTestId("conflicts-page").waitFor();
    const t = await central.provisionTerminal({ name: "Till C1" });
    const p = (
      await central.admin<{ product: { id: string; version: number } }>("POST", "/api/products", {
        sku: "BR-1",
        name: "Sourdough",
        priceCents: 450,
      })
    ).body.product;
    await central.admin("POST", "/api/products", { id: p.id, sku: "BR-1", name: "Sourdough", priceCents: 480 });
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const [res] = await till.push([
      change(
        "products",
        { id: p.id, sku: "BR-1", name: "Sourdough loaf", price_cents: 420 },
        { operation: "UPDATE", baseVersion: p.version },
      ),
    ]);
    const conflictId = (res as { conflictId: string }).conflictId;
    // It appears without a reload (conflict:created).
    const row = page.locator(`[data-testid="conflict-row"][data-conflict-id="${conflictId}"][data-status="PENDING"]`);
    await row.waitFor();
    expect(await row.getAttribute("data-strategy")).toBe("MANUAL_MERGE");
    await screenshot(page, "conflicts", "console-conflicts.png");
    await row.getByRole("link").click();
    await page.locator(`[data-testid="conflict-page"][data-conflict-id="${conflictId}"]`).waitFor();
    await page.locator('[data-testid="conflict-diff"] [data-field="price_cents"][data-kind="changed"]').waitFor();
    await screenshot(page, "conflict");
    await page.getByTestId("resolve-CUSTOM").check();
    // Euros typed into a cents column: not a whole number (column domains such as "not negative"
    // arrive with the policy's domains; today's row schemas check types).
    await page.getByTestId("field-price_cents").fill("4.65");
    await page.getByTestId("resolve-reason").fill("agreed with the bakery");
    await page.getByTestId("resolve-submit").click();
    await page.getByTestId("resolve-invalid").filter({ hasText: "price_cents" }).waitFor();
    const stillPending = await central.admin<{ conflict: { status: string } }>("GET", `/api/conflicts/${conflictId}`);
    expect(stillPending.body.conflict.status).toBe("PENDING");
    await page.getByTestId("field-price_cents").fill("465");
    await page.getByTestId("resolve-submit").click();
    await page.getByTestId("resolve-done").waitFor();
    await page.getByTestId("conflict-status").filter({ hasText: "RESOLVED" }).waitFor();
    const rowAtCentral = await pg.query(`SELECT price_cents, name FROM products WHERE id = $1`, [p.id]);
    expect(rowAtCentral.rows[0]).toEqual({ price_cents: 465, name: expect.any(String) });
    const c = await central.admin<{ conflict: { resolution: string; resolvedBy: string; reason: string } }>(
      "GET",
      `/api/conflicts/${conflictId}`,
    );
    expect(c.body.conflict).toMatchObject({
      resolution: "CUSTOM",
      resolvedBy: "owner",
      reason: "agreed with the bakery",
    });
  });
});

import { startDaemon, loadAgentConfig, type Daemon } from "@tillsync/terminal-agent";
import { useTestCentral } from "@tillsync/central/testing";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openBrowser, screenshot, signInThroughPage, type TestBrowser } from "./support/browser";

const { central } = useTestCentral("browser_live");
let browser: TestBrowser;
let daemon: Daemon | undefined;
const dir = mkdtempSync(path.join(tmpdir(), "tillsync-browser-agent-"));

beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await daemon?.stop();
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("signing in and watching the fleet live", () => {
  it("sends a visitor to sign-in, refuses a wrong token with one message, lands where it was going, and signs out", async () => {
    const { page } = browser;
    await page.goto(`${central.url}/dashboard/terminals`);
    await page.waitForURL(/\/dashboard\/sign-in\?next=%2Fdashboard%2Fterminals$/);
    await screenshot(page, "sign-in");
    await page.getByTestId("sign-in-token").fill("not-the-token");
    await page.getByTestId("sign-in-submit").click();
    await expectText(page.getByTestId("sign-in-error"), "Sign-in failed: that token was not accepted.");
    await page.getByTestId("sign-in-token").fill(central.adminToken);
    await page.getByTestId("sign-in-submit").click();
    await page.waitForURL(`${central.url}/dashboard/terminals`);
    await page.locator('[data-testid="live-status"][data-state="live"]').waitFor();
    const cookies = await browser.context.cookies(central.url);
    expect(cookies.find((c) => c.name === "tillsync_session")).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    await page.getByTestId("sign-out").click();
    await page.getByTestId("sign-in-form").waitFor();
    expect(await page.evaluate(() => fetch("/api/session").then((r) => r.status))).toBe(401);
  });

  it("turns a new terminal from gray/yellow to green when its agent syncs, without a reload", async () => {
    const { page } = browser;
    const t = await central.provisionTerminal({ name: "Front till" });
    await signInThroughPage(page, central.url, central.adminToken, "/dashboard/terminals");
    const row = page.locator(`[data-testid="terminal-row"][data-terminal-id="${t.terminalId}"]`);
    await row.waitFor();
    expect(["gray", "yellow"]).toContain(await row.getAttribute("data-health"));
    await screenshot(page, "terminals-before-sync");
    await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 1));

    const config = loadAgentConfig({
      CENTRAL_API_URL: central.url,
      CENTRAL_API_KEY: t.key,
      TERMINAL_ID: t.terminalId,
      TERMINAL_DATABASE_URL: `file:${path.join(dir, "front.db")}`,
    });
    daemon = startDaemon(config);
    await page
      .locator(`[data-testid="terminal-row"][data-terminal-id="${t.terminalId}"][data-health="green"]`)
      .waitFor();
    // The same page: the change came over /admin, not from a reload.
    expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(1);
    await screenshot(page, "terminals");

    await page.getByRole("link", { name: "Front till" }).click();
    await page.locator('[data-testid="terminal-detail-page"][data-health="green"]').waitFor();
    await page.getByTestId("table-counts").waitFor();
    await screenshot(page, "terminal-detail");
    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByTestId("overview-page").waitFor();
    await expectText(page.getByTestId("health-count-green"), "1");
    await screenshot(page, "overview");
  });
});

async function expectText(locator: import("playwright-core").Locator, text: string): Promise<void> {
  await locator.waitFor();
  await locator.filter({ hasText: text }).waitFor();
}

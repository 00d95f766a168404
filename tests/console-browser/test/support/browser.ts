import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { consoleAssetsBuilt } from "@tillsync/control-center";

/** Debian's Chromium (`.ci/run` installs it when missing); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Screenshots of every page, as test artefacts (gitignored). */
export const ARTIFACTS_DIR = path.join(__dirname, "..", "..", "artifacts");
/** README_SCREENSHOTS=1 also refreshes the README's two pictures. */
const README_IMAGES = path.join(__dirname, "..", "..", "..", "..", "docs", "images");

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile (its own user-data-dir, removed afterwards). */
export async function openBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  if (!consoleAssetsBuilt())
    throw new Error("the console is not built: npm run build -w @tillsync/control-center (npm test builds it first)");
  const profile = mkdtempSync(path.join(tmpdir(), "tillsync-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1360, height: 860 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as an artefact (and, when asked, as a README picture). */
export async function screenshot(page: Page, name: string, readmeName?: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
  if (readmeName && process.env.README_SCREENSHOTS === "1") {
    mkdirSync(README_IMAGES, { recursive: true });
    await page.screenshot({ path: path.join(README_IMAGES, readmeName), fullPage: false });
  }
}

/** Signs in afresh through the sign-in page (the next page is wherever the console was sent from). */
export async function signInThroughPage(page: Page, url: string, token: string, start = "/dashboard"): Promise<void> {
  await page.context().clearCookies();
  await page.goto(`${url}${start}`);
  await page.getByTestId("sign-in-token").fill(token);
  await page.getByTestId("sign-in-submit").click();
  await page.getByTestId("live-status").and(page.locator('[data-state="live"]')).waitFor();
}

/** A same-origin API call from inside the page, with its cookie and (for POST) the session's CSRF token. */
export async function callFromPage(
  page: Page,
  method: "GET" | "POST",
  apiPath: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return page.evaluate(
    async ({ method, apiPath, body }) => {
      const session = await fetch("/api/session").then((r) => r.json() as Promise<{ csrfToken?: string }>);
      const res = await fetch(apiPath, {
        method,
        headers: {
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...(method === "POST" && session.csrfToken ? { "x-csrf-token": session.csrfToken } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    { method, apiPath, body },
  );
}

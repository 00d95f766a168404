import { spawnSync } from "node:child_process";
import path from "node:path";
import { sourceArgs } from "@tillsync/testkit";

const root = path.resolve(__dirname, "../../..");

describe("npm run demo", () => {
  it("sells on three tills, cuts one off, reconnects it, and reports convergence with exit 0", () => {
    const r = spawnSync(process.execPath, sourceArgs("scripts/demo.ts"), {
      cwd: root,
      env: { ...process.env, DEMO_SECONDS: "4" },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.stdout).toMatch(/Till 3 cut off from central/);
    expect(r.stdout).toMatch(/Till 3 reconnected/);
    expect(r.stdout).toMatch(/== Convergence report ==/);
    expect(r.stdout).toMatch(/CONVERGED: every terminal agrees with central\./);
    expect(r.status).toBe(0);
  }, 150_000);
});

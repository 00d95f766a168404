import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { resumeVerdict, survivalVerdict } from "../lib/probes";
import { settle, withWorld, type Scenario, type ScenarioContext, type Verdict } from "../lib/scenario";
import { sleep, waitUntil } from "../lib/util";
import type { Till, World } from "../lib/world";

const DISK = "6m";

function mountTmpfs(dir: string, size: string, remount = false): boolean {
  const args = remount ? ["-o", `remount,size=${size}`, dir] : ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir];
  return spawnSync("mount", args, { stdio: "ignore" }).status === 0;
}

/** The condition must show in `status` (local) and in the heartbeat central stores. */
async function reportedVerdict(world: World, till: Till): Promise<Verdict> {
  const status = await till.agent.capture(["status", "--json"]);
  const r = await world.pool.query(`SELECT last_heartbeat::text AS hb FROM terminals WHERE id = $1`, [till.terminalId]);
  const mentions = (s: string) => /disk|SQLITE_FULL|no space|storage/i.test(s);
  const local = status.code === 0 && mentions(status.stdout);
  const central = mentions(String(r.rows[0]?.hb ?? ""));
  return {
    ok: local && central,
    figure: `full disk ${local ? "in" : "not in"} status, ${central ? "in" : "not in"} heartbeat`,
  };
}

/** Sells flat out until the till's writes fail for lack of space (the ledger counts them). */
async function fillDisk(till: Till): Promise<boolean> {
  await till.writer.stop();
  till.writer.start({ gapMs: 0, completeDelayMaxMs: 1 });
  try {
    await waitUntil(() => till.writer.ledger().failedWrites >= 10, 90_000, "the till's disk to fill", 250);
    return true;
  } catch {
    return false;
  }
}

/**
 * The till's SQLite lives on a 6 MB tmpfs; its till software sells until writes fail with a full
 * disk. The agent daemon must survive, say so in `status` and its heartbeat, and resume by itself
 * once space returns (the tmpfs grows to 256 MB). Needs root to mount a tmpfs.
 */
export const fullDisk: Scenario = {
  name: "full-disk",
  defects: "7 (a full disk kills the agent daemon)",
  async run(ctx: ScenarioContext) {
    const disk = path.join(ctx.dir, "full-disk-till1");
    mkdirSync(disk, { recursive: true });
    if (process.getuid?.() !== 0 || !mountTmpfs(disk, DISK))
      throw new Error("cannot mount a tmpfs (needs root): full disk not tested");
    try {
      const options = { tills: 2, products: 8, tillDir: (i: number) => (i === 0 ? disk : undefined) };
      return await withWorld(ctx, "full-disk", options, async (world) => {
        const till = world.tills[0]!;
        world.startSelling({ gapMs: 100 });
        await sleep(1_500);
        const filled = await fillDisk(till);
        await sleep(ctx.full ? 20_000 : 4_000);
        const alive = till.agent.running;
        const verdicts: Verdict[] = [
          {
            ok: filled,
            figure: filled ? `disk full (${till.writer.ledger().failedWrites} writes failed)` : "disk never filled",
          },
          { ok: alive, figure: alive ? "daemon alive on a full disk" : "daemon died on a full disk" },
          await reportedVerdict(world, till),
        ];
        mountTmpfs(disk, "256m", true);
        await till.writer.stop();
        till.writer.start({ gapMs: 100 });
        if (!till.agent.running) till.agent.start();
        const freedAt = Date.now();
        verdicts.push(await resumeVerdict("after space returned", [till], freedAt));
        const result = await settle(world, freedAt, { backlog: 0 });
        return { ...result, verdicts: [...verdicts, survivalVerdict(world)] };
      });
    } finally {
      spawnSync("umount", ["-l", disk], { stdio: "ignore" });
    }
  },
};

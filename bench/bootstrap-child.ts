/**
 * Child of bench/bootstrap.ts: bootstraps an empty terminal and reports time and peak RSS.
 *   argv: <central url> <key> <terminal id> <db file> <snapshot|feed>
 * `feed` replays the change feed page by page (what an agent does against a central without
 * GET /api/sync/snapshot): the terminal is marked as already bootstrapped, so it pulls from 0.
 */
import { createAgent, openTerminalDb } from "@tillsync/terminal-agent";
import { benchAgentConfig } from "./lib/bench-env";

async function main(): Promise<void> {
  const [url, key, terminalId, file, mode] = process.argv.slice(2) as [string, string, string, string, string];
  if (mode === "feed") {
    const db = openTerminalDb(file);
    db.prepare(
      `INSERT INTO sync_state (key, value, updated_at) VALUES ('snapshot_bootstrap', 'bench: feed replay', '')`,
    ).run();
    db.close();
  }
  const agent = createAgent(benchAgentConfig(url, key, terminalId, file, { SYNC_TIMEOUT: "120" }));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await agent.engine.runCycle();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  await agent.close();
  if (r.error) throw new Error(r.error);
  // maxRSS is in kilobytes.
  process.stdout.write(
    JSON.stringify({
      pulled: r.pulled,
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});

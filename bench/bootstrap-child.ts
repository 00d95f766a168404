/** Child of bench/bootstrap.ts: bootstraps an empty terminal and reports time and peak RSS. */
import { createAgent } from "../apps/terminal-agent/src/agent";

async function main(): Promise<void> {
  const [url, key, terminalId, file] = process.argv.slice(2) as [string, string, string, string];
  const agent = createAgent({
    CENTRAL_API_URL: url,
    CENTRAL_API_KEY: key,
    TERMINAL_ID: terminalId,
    TERMINAL_DATABASE_URL: `file:${file}`,
    databasePath: file,
    SYNC_INTERVAL: 300,
    SYNC_BATCH_SIZE: 100,
    SYNC_TIMEOUT: 120,
    SYNC_RETRY_ATTEMPTS: 3,
  });
  const t0 = performance.now();
  const r = await agent.engine.runCycle();
  const ms = performance.now() - t0;
  await agent.close();
  if (r.error) throw new Error(r.error);
  // maxRSS is in kilobytes.
  process.stdout.write(JSON.stringify({ pulled: r.pulled, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});

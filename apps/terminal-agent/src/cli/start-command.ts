import type { Command } from "commander";
import { loadAgentConfig } from "../config";
import { startDaemon } from "../daemon/daemon";
import { EXIT } from "./cli-errors";

/** After a clean stop, how long a stray handle may keep the process before it exits anyway. */
const EXIT_GUARD_MS = 2_000;

/** `start`: the daemon (daemon/daemon.ts) until SIGTERM or SIGINT. */
export function addStartCommand(program: Command): void {
  program
    .command("start")
    .description("run the daemon: startup sync, then push/pull by priority until SIGTERM")
    .action(async () => {
      const config = loadAgentConfig();
      // SIGTERM during the startup sync must still finish cleanly, so listen from the start.
      const stopped = new Promise<NodeJS.Signals>((resolve) => {
        process.once("SIGTERM", resolve);
        process.once("SIGINT", resolve);
      });
      const daemon = startDaemon(config, { log: (line) => console.log(line) });
      console.log(`${await stopped}: finishing the batch in flight`);
      await daemon.stop();
      console.log("stopped");
      // Everything of ours is closed or unref'd; this only guards against a stray handle
      // keeping a stopped daemon alive under systemd.
      setTimeout(() => process.exit(EXIT.OK), EXIT_GUARD_MS).unref();
    });
}

import type { Command } from "commander";
import { loadAgentConfig } from "../config";
import { acquireAgentLock, AgentLockedError } from "../daemon/agent-lock";
import { startDaemon } from "../daemon/daemon";
import { CommandFailed, EXIT } from "./cli-errors";
import { cli } from "./cli-context";
import { withVariables } from "./command-help";

/** After a clean stop, how long a stray handle may keep the process before it exits anyway. */
const EXIT_GUARD_MS = 2_000;

/** `start`: the daemon (daemon/daemon.ts) until SIGTERM or SIGINT. */
export function addStartCommand(program: Command): void {
  withVariables(
    program
      .command("start")
      .description("run the daemon: startup sync, then push/pull by priority until SIGTERM")
      .action(async () => {
        const config = loadAgentConfig();
        const log = cli().logger;
        let lock;
        try {
          lock = acquireAgentLock(config.databasePath, "start");
        } catch (err) {
          if (err instanceof AgentLockedError) throw new CommandFailed(err.message);
          throw err;
        }
        // SIGTERM during the startup sync must still finish cleanly, so listen from the start.
        const stopped = new Promise<NodeJS.Signals>((resolve) => {
          process.once("SIGTERM", resolve);
          process.once("SIGINT", resolve);
        });
        const daemon = startDaemon(config, { logger: log });
        const signal = await stopped;
        log.info({ signal }, `${signal}: finishing the batch in flight`);
        await daemon.stop();
        lock.release();
        log.info("stopped");
        // Everything of ours is closed or unref'd; this only guards against a stray handle
        // keeping a stopped daemon alive under systemd.
        setTimeout(() => process.exit(EXIT.OK), EXIT_GUARD_MS).unref();
      }),
    ["central", "local", "sync", "daemon"],
  );
}

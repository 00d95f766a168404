import type { Command } from "commander";
import { loadCentralConfig } from "../config";
import { startCentral } from "../main";
import { fail } from "./cli-errors";
import { envHelp, SERVE_VARIABLES } from "./env-help";

/** Migrates, then serves until SIGTERM or SIGINT. */
async function serve(): Promise<void> {
  const config = loadCentralConfig();
  const c = await startCentral(config).catch((err: Error) => {
    throw new Error(`failed to start: ${err.message}`);
  });
  c.logger.info({ port: c.port }, `tillsync central listening on :${c.port}`);
  const shutdown = () => void c.stop().then(() => process.exit(0));
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

/** `serve`, the default command: `tillsync-central` alone serves. */
export function addServeCommand(program: Command): void {
  program
    .command("serve", { isDefault: true })
    .description("apply migrations, then serve the API, socket.io and the console on PORT")
    .addHelpText("after", envHelp(SERVE_VARIABLES, "README's configuration table lists the rest"))
    .action(() => serve().catch(fail));
}

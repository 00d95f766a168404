import { loadCentralConfig, type CentralConfig } from "./config";
import { startCentral } from "./main";

/** `tillsync-central` / `npm run central`: migrate, then serve until SIGTERM or SIGINT. */
export function runCentralCli(): void {
  let config: CentralConfig;
  try {
    config = loadCentralConfig();
  } catch (err) {
    console.error(`tillsync-central: ${(err as Error).message}`);
    process.exit(2);
  }
  startCentral(config).then(
    (c) => {
      c.logger.info({ port: c.port }, `tillsync central listening on :${c.port}`);
      const shutdown = () => void c.stop().then(() => process.exit(0));
      process.once("SIGTERM", shutdown);
      process.once("SIGINT", shutdown);
    },
    (err: Error) => {
      console.error(`tillsync-central: failed to start: ${err.message}`);
      process.exit(1);
    },
  );
}

if (require.main === module) runCentralCli();

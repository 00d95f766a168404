import { loadProvisionConfig } from "./provision-config";
import { provision } from "./provision";

/**
 * `node apps/central/dist/provision/provision-main.js`: docker-compose.yml's one-shot
 * `provision` service (see provision-config.ts for its variables). Exit 0 when every terminal
 * has its key file, 1 with one line otherwise.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = (s: string) => console.log(`provision: ${s}`);
  try {
    await provision(loadProvisionConfig(env), log);
    process.exitCode = 0;
  } catch (err) {
    console.error(`provision: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();

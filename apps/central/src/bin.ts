import { fail } from "./cli/cli-errors";
import { runCentralCli } from "./cli/program";

/** `tillsync-central <command>` / `npm run central -- <command>` (bin/tillsync-central.js runs the built copy). */
export function main(argv: string[] = process.argv): Promise<void> {
  return runCentralCli(argv).catch(fail);
}

if (require.main === module) void main();

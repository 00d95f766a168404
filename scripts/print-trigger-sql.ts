/** Prints the trigger SQL the sync policy generates: `tsx scripts/print-trigger-sql.ts <central|terminal>`. */
import { feedTriggerSql } from "@tillsync/central";
import { captureTriggerSql } from "@tillsync/terminal-agent";

const side = process.argv[2];
if (side === "central") process.stdout.write(feedTriggerSql());
else if (side === "terminal") process.stdout.write(captureTriggerSql());
else {
  console.error("usage: print-trigger-sql <central|terminal>");
  process.exit(1);
}

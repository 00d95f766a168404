/** Prints docs/sync-policy.md as the sync policy generates it: `npx tsx scripts/print-policy-doc.ts > docs/sync-policy.md`. */
import { DEFAULT_SYNC_POLICY, policyDoc } from "@tillsync/shared";

process.stdout.write(policyDoc(DEFAULT_SYNC_POLICY));

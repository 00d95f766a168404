/**
 * The public surface of the central hub: start it in-process (tests, the demo, benches),
 * parse its configuration, and the pieces tooling needs (migrations, the feed's triggers and
 * sequencer). Everything else is internal; import nothing from `src/` of this package.
 */
export { startCentral, type RunningCentral, type StartOptions } from "./main";
export { loadCentralConfig, CENTRAL_DEFAULTS, type CentralConfig } from "./config";
export { openCentralDb, type CentralDb } from "./db/database";
export { migrateCentral } from "./db/migrate";
export { feedTriggerSql } from "./feed/feed-triggers";
export { sequenceFeed } from "./feed/feed-sequencer";
export type { HubOptions } from "./hub/hub";

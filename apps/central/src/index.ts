/**
 * The public surface of the central hub: start it in-process (tests, the demo, benches),
 * parse its configuration, and the pieces tooling needs (migrations, the feed's triggers and
 * sequencer, the daily cleanup). Everything else is internal; import nothing from `src/` of this package.
 */
export { startCentral, type RunningCentral, type StartOptions } from "./main";
export { loadCentralConfig, CENTRAL_DEFAULTS, HUB_DEFAULTS, type CentralConfig, type HubTunables } from "./config";
export { openCentralDb, type CentralDb } from "./store/database";
export { migrateCentral } from "./store/migrate";
export type { CentralStore } from "./store/central-store";
export { feedTriggerSql } from "./feed/feed-triggers";
export { changeFeedStore, sequenceFeed } from "./store/change-feed";
// docker-compose.yml's one-shot provisioning (also runnable as dist/provision/provision-main.js)
export { provision, type ProvisionOutcome } from "./provision/provision";
export { loadProvisionConfig, type ProvisionConfig } from "./provision/provision-config";
export { compactFeedAndExpireHistory, retentionDaysOf } from "./hub/feed-compaction-and-retention";

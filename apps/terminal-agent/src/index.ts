/**
 * The public surface of the terminal agent: build one in-process (tests, the demo, benches),
 * run its daemon, parse its configuration, and the pieces tooling needs. Everything else is
 * internal; import nothing from `src/` of this package.
 */
export { createAgent, type Agent } from "./daemon/agent";
export { startDaemon, type Daemon, type DaemonOptions } from "./daemon/daemon";
export { transportFromConfig, type EngineOverrides } from "./daemon/from-config";
export { HeartbeatSender } from "./daemon/heartbeat";
export { loadAgentConfig, loadLocalConfig, AGENT_DEFAULTS, type AgentConfig, type LocalConfig } from "./config";
export { main as runAgentCli } from "./cli";
export { openTerminalDb, withoutCapture, type SqliteDb } from "./db/terminal-db";
export { captureTriggerSql } from "./capture/capture-triggers";
export { OutboxStore, type OutboxRow } from "./outbox/outbox-store";
export { indexCapturedTail } from "./capture/captured-tail";
export { INDEXED_SQL } from "./outbox/outbox-status-sql";
export { SyncEngine } from "./sync/sync-engine";
export type { EngineOptions, CycleReport } from "./sync/engine-options";
export type { SyncState } from "./sync/sync-state-machine";
export type { CentralTransport } from "./transport/central-transport";
export { HttpCentralTransport, type HttpTransportOptions } from "./transport/http-transport";
export { SocketLink, startSocketLink, type SocketLinkOptions } from "./transport/socket-link";

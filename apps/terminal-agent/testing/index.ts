/**
 * Test fixtures for the agent (`@tillsync/terminal-agent/testing`): an agent on a temp-dir
 * SQLite file, with a second connection standing in for the till software. Dev only.
 */
export { createTestAgent, type TestAgent } from "./test-agent";
export {
  createPreviousProtocolAgent,
  FIRST_PROTOCOL_2_MIGRATION,
  type PreviousProtocolAgent,
} from "./previous-protocol-agent";
export { meanPages, walPagesByStructure } from "./wal-pages-by-structure";

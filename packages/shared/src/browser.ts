/**
 * Everything of @tillsync/shared that runs in a browser: the index without the migration-file
 * readers, which need node:fs. The control center's bundle imports this entry.
 */
export * from "./ids";
export * from "./priorities";
export * from "./statuses";
export * from "./errors";
export * from "./sync-policy";
export { columnTypes, DEFAULT_TEXT_MAX, INT4_MAX, INT4_MIN, intRange, textMax } from "./policy-columns";
export * from "./row-schemas";
export { fastPushRequest, fastRowParser, type FastParse } from "./fast-parse";
export { parseRow, rowSchemaFor, type RowParseResult } from "./row-parse";
export { fastHeartbeatRequest } from "./fast-heartbeat";
export { fastPullAnswer } from "./fast-pull-answer";
export * from "./protocol";
export * from "./parse";
export * from "./health";
export { policyDoc } from "./policy-doc";
export * from "./protocol-columns";

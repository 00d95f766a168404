/**
 * Everything of @tillsync/shared that runs in a browser: the index without the migration-file
 * readers, which need node:fs. The control center's bundle imports this entry.
 */
export * from "./ids";
export * from "./priorities";
export * from "./statuses";
export * from "./errors";
export * from "./sync-policy";
export * from "./row-schemas";
export * from "./protocol";
export * from "./parse";

export * from "./ids";
export * from "./priorities";
export * from "./errors";
export * from "./sync-policy";
export * from "./row-schemas";
export * from "./protocol";
export * from "./parse";
export * from "./migration-files";

export * from "./browser";
export * from "./migration-files";

export * from "./browser";
export * from "./migration-files";
export * from "./protocol-columns";

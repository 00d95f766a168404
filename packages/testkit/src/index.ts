export * from "./wait-for";
export * from "./test-database";
export * from "./test-central";
export * from "./test-agent";
export * from "./terminal-client";
export * from "./controllable-proxy";
export * from "./test-socket";

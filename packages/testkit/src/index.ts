/**
 * Generic test fixtures shared by every workspace: per-test databases and Redis prefixes,
 * waitFor, a controllable TCP proxy and a relay to PostgreSQL, a hand-driven terminal client and socket. It depends on
 * no app; app fixtures live beside the app (`@tillsync/central/testing`, `.../testing`).
 */
export * from "./wait-for";
export * from "./test-database";
export * from "./redis-prefix";
export * from "./local-services";
export * from "./terminal-client";
export * from "./controllable-proxy";
export * from "./pg-relay";
export * from "./test-socket";
export * from "./source-process";
export * from "./late-bound";
export * from "./private-postgres";
export * from "./private-redis";
export * from "./free-port";

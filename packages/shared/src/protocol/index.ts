export * from "./common";
export * from "./push";
export * from "./pull";
export * from "./heartbeat";
export * from "./socket-events";
export * from "./admin";
export * from "./hub";

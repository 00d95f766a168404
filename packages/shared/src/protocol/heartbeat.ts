import { z } from "zod";
import { terminalIdSchema } from "../ids";
import { syncTableSchema } from "./common";

export const tableCountsSchema = z.object({
  pending: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  synced: z.number().int().nonnegative(),
  conflicts: z.number().int().nonnegative(),
});
export type TableCounts = z.infer<typeof tableCountsSchema>;

export const agentStatusSchema = z.enum([
  "idle",
  "pushing",
  "pulling",
  "backing-off",
  "circuit-open",
  "paused",
  "stopped",
]);
export type AgentStatus = z.infer<typeof agentStatusSchema>;

export const heartbeatRequestSchema = z
  .object({
    terminalId: terminalIdSchema,
    status: agentStatusSchema,
    outbox: z.partialRecord(syncTableSchema, tableCountsSchema),
  })
  .meta({ id: "HeartbeatRequest" });
export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;

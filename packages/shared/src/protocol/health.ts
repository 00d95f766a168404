import { z } from "zod";

/**
 * GET /health: liveness, the protocols central serves (protocolVersion the newest,
 * oldestProtocolVersion the oldest; see protocol-version.ts) and central's clock (for the clock check).
 */
export const healthResponseSchema = z
  .object({
    status: z.literal("ok"),
    protocolVersion: z.number().int().positive().optional(),
    oldestProtocolVersion: z.number().int().positive().optional(),
    time: z.string().optional(),
  })
  .meta({ id: "HealthResponse" });
export type HealthResponse = z.infer<typeof healthResponseSchema>;

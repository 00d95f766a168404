import { z } from "zod";

/**
 * The version of the wire protocol in this repository (the schemas in protocol/). Central
 * reports it on GET /health and the agent's `test-connection` compares it with its own, so a
 * till upgraded ahead of central (or behind it) is found before its first failing push.
 * Raise it when a change to the schemas breaks an older agent or central.
 */
export const PROTOCOL_VERSION = 1;

/** GET /health: liveness, the protocol version and central's clock (for the clock check). */
export const healthResponseSchema = z
  .object({
    status: z.literal("ok"),
    protocolVersion: z.number().int().positive().optional(),
    time: z.string().optional(),
  })
  .meta({ id: "HealthResponse" });
export type HealthResponse = z.infer<typeof healthResponseSchema>;

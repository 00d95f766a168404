import { z } from "zod";
import { uuidSchema } from "../ids";
import { isoTimestampSchema } from "./common";
import { operatorRoleSchema } from "./operator-roles";

/**
 * Console sessions (docs/control-center-api.md, "Sessions and CSRF"). Signing in with an
 * operator token sets an httpOnly, SameSite=Strict cookie; every state-changing request made
 * with that cookie must echo the session's CSRF token in the `x-csrf-token` header.
 */

/** Where central serves the console, and bull-board beneath it. */
export const DASHBOARD_PATH = "/dashboard";
export const QUEUES_PATH = "/dashboard/queues";

export const SESSION_COOKIE_NAME = "tillsync_session";
export const CSRF_HEADER_NAME = "x-csrf-token";
/** How long a session lasts from sign-in (not sliding): eight hours, one shift. */
export const SESSION_TTL_SECONDS = 8 * 60 * 60;

export const signInRequestSchema = z
  .object({ token: z.string().min(1, "token is required").max(512, "token is too long") })
  .strict()
  .meta({ id: "SignInRequest" });
export type SignInRequest = z.infer<typeof signInRequestSchema>;

export const sessionOperatorSchema = z.object({
  /** null for the built-in owner signed in with ADMIN_TOKEN. */
  id: uuidSchema.nullable(),
  name: z.string(),
  role: operatorRoleSchema,
});
export type SessionOperator = z.infer<typeof sessionOperatorSchema>;

export const sessionSchema = z
  .object({
    operator: sessionOperatorSchema,
    /** When the cookie stops working; the console signs out at that time. */
    expiresAt: isoTimestampSchema,
    /** Echo in `x-csrf-token` on every POST made with the session cookie. */
    csrfToken: z.string().min(16),
  })
  .meta({ id: "Session" });
export type Session = z.infer<typeof sessionSchema>;

export const signOutResponseSchema = z.object({ signedOut: z.literal(true) }).meta({ id: "SignOutResponse" });

import type { z } from "zod";
import { ValidationError } from "./errors";

/** One readable line per problem: `changes.0.entityId: must be a UUID`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? i.path.join(".") : "(body)"}: ${isMissing(i) ? "is required" : i.message}`)
    .join("; ");
}

/** Parses or throws a ValidationError whose message says what was wrong. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ValidationError(`invalid ${what}: ${describeZodError(r.error)}`, r.error.issues);
  return r.data;
}

/** zod 4 leaves the input out of issues unless asked, but says "received undefined". */
function isMissing(issue: z.core.$ZodIssue): boolean {
  return issue.code === "invalid_type" && /received undefined$/.test(issue.message);
}

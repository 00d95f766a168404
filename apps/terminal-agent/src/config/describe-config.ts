import { AGENT_VARIABLES, type LocalConfig } from "../config";

export type ConfigSource = "environment" | "file" | "default" | "unset";

export interface ConfigEntry {
  name: string;
  value: string | number | boolean | null;
  source: ConfigSource;
}

/** Variables whose value is a secret: shown masked, never in full. */
const SECRETS = new Set(["CENTRAL_API_KEY"]);

/** Enough of a key to tell two apart (`tsk_…cdef`), not enough to use it. */
export function maskSecret(value: string): string {
  return value.length >= 12 ? `${value.slice(0, 4)}…${value.slice(-4)}` : "****";
}

/**
 * The effective configuration for `config`: every variable's value after defaults, and where
 * it came from (the environment, a *_FILE, the default, or not set at all).
 */
export function describeConfig(config: LocalConfig, env: NodeJS.ProcessEnv): ConfigEntry[] {
  const sourceOf = (name: string, value: unknown): ConfigSource => {
    if (value === undefined) return "unset";
    if (env[name] !== undefined && env[name] !== "") return "environment";
    if (name === "CENTRAL_API_KEY" && config.CENTRAL_API_KEY_FILE) return "file";
    return "default";
  };
  const entries: ConfigEntry[] = AGENT_VARIABLES.map((name) => {
    const value = (config as Record<string, unknown>)[name] as string | number | boolean | undefined;
    const shown = value === undefined ? null : SECRETS.has(name) ? maskSecret(String(value)) : value;
    return { name, value: shown, source: sourceOf(name, value) };
  });
  // Where a relative TERMINAL_DATABASE_URL landed (relative to the starting directory).
  const db: ConfigEntry = {
    name: "(database file)",
    value: config.databasePath,
    source: sourceOf("TERMINAL_DATABASE_URL", config.TERMINAL_DATABASE_URL),
  };
  return [...entries, db];
}

export function formatConfig(entries: ConfigEntry[]): string {
  const width = Math.max(...entries.map((e) => e.name.length)) + 2;
  return entries.map((e) => `${e.name.padEnd(width)}${String(e.value ?? "(unset)").padEnd(40)} ${e.source}`).join("\n");
}

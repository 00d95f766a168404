/**
 * Node arguments that run a workspace's TypeScript sources in a child process: tsx for the
 * syntax, and the `@tillsync/source` export condition so workspaces resolve to `src/` rather
 * than to a `dist/` that may be stale or not built. `--import tsx` keeps it one process (the
 * tsx CLI would add a wrapper that signals do not reach directly).
 */
export const SOURCE_NODE_ARGS: readonly string[] = ["--conditions=@tillsync/source", "--import", "tsx"];

/** `[...SOURCE_NODE_ARGS, file]`: spawn(process.execPath, sourceArgs(file)). */
export function sourceArgs(file: string): string[] {
  return [...SOURCE_NODE_ARGS, file];
}

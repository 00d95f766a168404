import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** A small file system of the test's own: a tmpfs, so filling it up touches nothing else. */
export interface SmallDisk {
  dir: string;
  /** Writes a filler file until the file system refuses (ENOSPC): the disk is full. */
  fill(): void;
  /** Deletes the filler: space returns. */
  free(): void;
  destroy(): void;
}

/**
 * Mounts a tmpfs of `sizeMiB` under /tmp. Needs the right to mount (root, or CAP_SYS_ADMIN in
 * a container): a full disk cannot be had otherwise without faking the storage layer.
 */
export function mountSmallDisk(sizeMiB: number): SmallDisk {
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=0777`, "tmpfs", dir], { stdio: "pipe" });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `the full-disk test mounts a ${sizeMiB} MiB tmpfs and could not (${(err as Error).message.split("\n")[0]}); run it as root`,
    );
  }
  const filler = path.join(dir, "filler");
  return {
    dir,
    fill() {
      const fd = openSync(filler, "a");
      try {
        for (const size of [1024 * 1024, 4096, 512]) {
          const chunk = Buffer.alloc(size, 1);
          for (;;) {
            try {
              writeSync(fd, chunk);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === "ENOSPC") break;
              throw err;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    destroy() {
      execFileSync("umount", ["-l", dir], { stdio: "ignore" });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { PrismaPg } from "@prisma/adapter-pg";
import { Pool, types } from "pg";
import { PrismaClient } from "../generated/prisma/client";

// BIGINT (feed positions) arrives as a string: positions may exceed 2^53 in a long-lived
// feed, and they are opaque cursors on the wire anyway.
types.setTypeParser(types.builtins.INT8, (v) => v);

/** One pg pool shared by Prisma (ordinary queries) and the set-based sync paths. */
export interface CentralDb {
  /** The connection URL, for connections of their own (the feed's LISTEN). */
  url: string;
  pool: Pool;
  prisma: PrismaClient;
  close(): Promise<void>;
}

/** `poolSize`: connections shared by HTTP handlers, the hub and the sequencer (DATABASE_POOL_SIZE). */
export function openCentralDb(databaseUrl: string, poolSize = 10): CentralDb {
  // keepAlive: a pooled connection whose peer vanished without a word is found dead by the
  // kernel instead of hanging a query forever; broken clients are replaced by the pool.
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize, keepAlive: true });
  // An idle client losing its connection must not crash the hub; the pool replaces it.
  pool.on("error", () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    url: databaseUrl,
    pool,
    prisma,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

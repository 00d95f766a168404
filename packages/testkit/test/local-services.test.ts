import net from "node:net";
import { ensureServices, postgresAnswers, redisAnswers } from "../src/local-services";
import { TEST_PG_URL, TEST_REDIS_URL } from "../src";

/** A port nothing listens on (bound, then released). */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe("ensureServices (SPEC §6: the tests' and the demo's fallback)", () => {
  it("uses PostgreSQL and Redis where they answer and starts nothing", async () => {
    const s = await ensureServices({ postgresUrl: TEST_PG_URL, redisUrl: TEST_REDIS_URL, log: () => undefined });
    expect(s).toMatchObject({ postgresUrl: TEST_PG_URL, redisUrl: TEST_REDIS_URL, started: [] });
    await s.stop();
    expect(await postgresAnswers(TEST_PG_URL)).toBe(true);
  });

  it("starts an embedded PostgreSQL and a local redis-server where nothing answers, and stops them", async () => {
    const postgresUrl = `postgresql://postgres@127.0.0.1:${await deadPort()}/postgres`;
    const redisUrl = `redis://127.0.0.1:${await deadPort()}`;
    const lines: string[] = [];
    const s = await ensureServices({ postgresUrl, redisUrl, log: (l) => lines.push(l) });
    try {
      expect(s.started).toEqual(["postgres", "redis"]);
      expect(s.postgresUrl).not.toBe(postgresUrl);
      expect(s.redisUrl).not.toBe(redisUrl);
      expect(await postgresAnswers(s.postgresUrl)).toBe(true);
      expect(await redisAnswers(s.redisUrl)).toBe(true);
      expect(lines.join("\n")).toMatch(/starting an embedded PostgreSQL[\s\S]*starting a local redis-server/);
    } finally {
      await s.stop();
    }
    expect(await postgresAnswers(s.postgresUrl)).toBe(false);
    expect(await redisAnswers(s.redisUrl)).toBe(false);
  }, 120_000);
});

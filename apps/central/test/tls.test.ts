import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { generate } from "selfsigned";
import { io } from "socket.io-client";
import { createTestDatabase, removeRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from "@tillsync/testkit";
import { loadCentralConfig } from "../src/config";
import { startCentral, type RunningCentral } from "../src/main";

/** Central serves HTTPS (and WSS) itself from TLS_CERT_FILE/TLS_KEY_FILE, checked at start. */
describe("HTTPS from TLS_CERT_FILE and TLS_KEY_FILE", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-tls-"));
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  let ca: string;
  const base = { ADMIN_TOKEN: "admin-token-for-tls-test" };

  beforeAll(async () => {
    const pems = await generate([{ name: "commonName", value: "localhost" }], {
      keySize: 2048,
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
    });
    writeFileSync(cert, pems.cert);
    writeFileSync(key, pems.private);
    writeFileSync(path.join(dir, "garbage.pem"), "not a certificate");
    ca = pems.cert;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["only the certificate", { TLS_CERT_FILE: cert }, /TLS_KEY_FILE: is required when TLS_CERT_FILE is set/],
    ["only the key", { TLS_KEY_FILE: key }, /TLS_CERT_FILE: is required when TLS_KEY_FILE is set/],
    [
      "a certificate file that does not exist",
      { TLS_CERT_FILE: path.join(dir, "nope.pem"), TLS_KEY_FILE: key },
      /TLS_CERT_FILE: cannot read .*nope\.pem/,
    ],
    [
      "a key file that does not exist",
      { TLS_CERT_FILE: cert, TLS_KEY_FILE: path.join(dir, "nope.pem") },
      /TLS_KEY_FILE: cannot read/,
    ],
    [
      "a certificate that is not PEM",
      { TLS_CERT_FILE: path.join(dir, "garbage.pem"), TLS_KEY_FILE: key },
      /TLS_(CERT|KEY)_FILE: .* are not a PEM certificate and its private key/,
    ],
    [
      "the certificate given as the key",
      { TLS_CERT_FILE: cert, TLS_KEY_FILE: cert },
      /TLS_(CERT|KEY)_FILE: .* are not a PEM certificate and its private key/,
    ],
  ])("refuses %s at start, naming the variable", (_what, env, message) => {
    expect(() => loadCentralConfig({ ...base, ...env })).toThrow(message);
  });

  it("serves the API and the socket over TLS", async () => {
    const db = await createTestDatabase("tls");
    const redisPrefix = testRedisPrefix("tls");
    let running: RunningCentral | undefined;
    try {
      const config = loadCentralConfig({
        ...base,
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: redisPrefix,
        PORT: "0",
        LOG_LEVEL: "silent",
        TLS_CERT_FILE: cert,
        TLS_KEY_FILE: key,
      });
      running = await startCentral(config);
      const url = `https://127.0.0.1:${running.port}`;
      const status = await new Promise<number>((resolve, reject) => {
        https
          .get(`${url}/health`, { ca }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on("error", reject);
      });
      expect(status).toBe(200);
      // A socket handshake over WSS reaches central's auth (and is refused for its bad key).
      const s = io(url, { auth: { token: "tsk_x" }, transports: ["websocket"], reconnection: false, ca });
      const err = await new Promise<Error & { data?: { code?: string } }>((resolve) =>
        s.once("connect_error", resolve),
      );
      s.disconnect();
      expect(err.data?.code).toBe("UNAUTHORIZED");
    } finally {
      await running?.stop();
      await db.drop();
      await removeRedisPrefix(redisPrefix);
    }
  });
});

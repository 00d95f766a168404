import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runSource, TerminalClient, waitFor } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

const MAIN = path.resolve(__dirname, "../src/provision/provision-main.ts");
const STORE = "00000000-0000-4000-8000-0000000000a1";
const T1 = "00000000-0000-4000-8000-000000000001";
const T2 = "00000000-0000-4000-8000-000000000002";

/** Runs the provisioning entry point as docker-compose.yml's `provision` service does: a node process. */
async function runProvision(
  env: Record<string, string>,
  seen: { out: string } = { out: "" },
): Promise<{ code: number | null; out: string; err: string }> {
  const r = await runSource(MAIN, [], { env: { PATH: process.env.PATH, ...env }, onStdout: (s) => (seen.out = s) });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/** A port nothing listens on (bound, then released). */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe("the compose provisioning (deploy: provision-main.ts)", () => {
  const { central } = useTestCentral("provision");
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-keys-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const key1 = path.join(dir, "terminal-1.key");
  const key2 = path.join(dir, "terminal-2.key");
  // As root (a container), the files go to the agent image's user; otherwise to ourselves.
  const owner =
    process.getuid?.() === 0 ? { uid: 1000, gid: 1000 } : { uid: process.getuid!(), gid: process.getgid!() };
  const env = () => ({
    CENTRAL_URL: central.url,
    ADMIN_TOKEN: central.adminToken,
    PROVISION_STORE_ID: STORE,
    PROVISION_STORE_NAME: "Compose store",
    PROVISION_KEY_OWNER: `${owner.uid}:${owner.gid}`,
    PROVISION_TERMINALS: JSON.stringify([
      { id: T1, name: "Till 1", keyFile: key1 },
      { id: T2, name: "Till 2", keyFile: key2 },
    ]),
  });
  const keyOf = (file: string) => readFileSync(file, "utf8").trim();
  const pullStatus = async (id: string, key: string) =>
    (await new TerminalClient(central.url, id, key).raw("GET", "/api/sync/pull?limit=1")).status;

  it("creates the store and both terminals and writes each key 0600 for the agent's user", async () => {
    const r = await runProvision(env());
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out).toMatch(new RegExp(`terminal ${T1}: created`));
    for (const [id, file] of [
      [T1, key1],
      [T2, key2],
    ] as const) {
      const st = statSync(file);
      expect(st.mode & 0o777).toBe(0o600);
      expect({ uid: st.uid, gid: st.gid }).toEqual(owner);
      expect(await pullStatus(id, keyOf(file))).toBe(200);
    }
    const stores = await central.admin<{ stores: Array<{ id: string }> }>("GET", "/api/stores");
    expect(stores.body.stores.map((s) => s.id)).toContain(STORE);
  });

  it("keeps what exists on a second run (keys unchanged)", async () => {
    const before = [keyOf(key1), keyOf(key2)];
    const r = await runProvision(env());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`terminal ${T1}: kept[\\s\\S]*terminal ${T2}: kept`));
    expect([keyOf(key1), keyOf(key2)]).toEqual(before);
  });

  it("gives a terminal whose key file is gone a new key; the old one stops working", async () => {
    const old = keyOf(key2);
    unlinkSync(key2);
    const r = await runProvision(env());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`terminal ${T2}: rekeyed`));
    expect(keyOf(key2)).not.toBe(old);
    expect(statSync(key2).mode & 0o777).toBe(0o600);
    expect(await pullStatus(T2, keyOf(key2))).toBe(200);
    expect(await pullStatus(T2, old)).toBe(401);
  });

  it("waits while central is not ready yet (503 from /ready), then provisions", async () => {
    // Stands in for a central still migrating: 503 until `ready`, then forwards to the real one.
    let ready = false;
    const starting = http.createServer((req, res) => {
      if (!ready) return void res.writeHead(503).end(JSON.stringify({ status: "starting" }));
      const up = http.request(`${central.url}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => starting.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(starting.address() as AddressInfo).port}`;
    unlinkSync(key1);
    const seen = { out: "" };
    const run = runProvision({ ...env(), CENTRAL_URL: url }, seen);
    try {
      await waitFor(() => seen.out.includes(`waiting for central at ${url}`), { what: "the wait message" });
      expect(() => statSync(key1)).toThrow();
      ready = true;
      const r = await run;
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`terminal ${T1}: rekeyed`));
    } finally {
      await new Promise((r) => starting.close(r));
    }
  });

  it("gives up with one line when central never answers within PROVISION_WAIT_SECONDS", async () => {
    const r = await runProvision({
      ...env(),
      CENTRAL_URL: `http://127.0.0.1:${await deadPort()}`,
      PROVISION_WAIT_SECONDS: "1",
    });
    expect(r.code).toBe(1);
    expect(r.err.trim()).toMatch(/^provision: central at .* was not ready within 1 s: /);
  });

  it("exits 1 with one line on a wrong admin token, writing nothing", async () => {
    const other = path.join(dir, "never.key");
    const r = await runProvision({
      ...env(),
      ADMIN_TOKEN: "x".repeat(32),
      PROVISION_TERMINALS: JSON.stringify([{ id: T1, name: "Till 1", keyFile: other }]),
    });
    expect(r.code).toBe(1);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/^provision: creating store .*: central answered 401/);
    expect(() => statSync(other)).toThrow();
  });

  it.each([
    ["a missing variable", { PROVISION_TERMINALS: undefined }, /^provision: PROVISION_TERMINALS: is required$/],
    [
      "terminals that are not JSON",
      { PROVISION_TERMINALS: "[{" },
      /^provision: PROVISION_TERMINALS: is not valid JSON$/,
    ],
    [
      "a relative key file",
      { PROVISION_TERMINALS: JSON.stringify([{ id: T1, name: "x", keyFile: "k" }]) },
      /^provision: PROVISION_TERMINALS\.0\.keyFile: /,
    ],
    [
      "an owner that is not uid:gid",
      { PROVISION_KEY_OWNER: "agent" },
      /^provision: PROVISION_KEY_OWNER: must be "uid:gid"/,
    ],
  ])("refuses %s, naming the variable", async (_what, patch, message) => {
    const e: Record<string, string> = { ...env() };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete e[k];
      else e[k] = v;
    }
    const r = await runProvision(e);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toMatch(message);
  });
});

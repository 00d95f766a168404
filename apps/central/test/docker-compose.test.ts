import { readFileSync } from "node:fs";
import path from "node:path";
import { load } from "js-yaml";
import { loadProvisionConfig } from "../src/provision/provision-config";

/**
 * docker-compose.yml and the Dockerfiles it builds (issue 13, Deployment). No Docker engine
 * runs the tests, so this reads the files: the services, their health checks, volumes,
 * restart policies, and the wiring of each terminal key from the provisioning to its agent.
 * `.ci/run` also validates the file with `docker-compose config -q` where it is installed.
 */
const ROOT = path.resolve(__dirname, "../../..");
const read = (p: string) => readFileSync(path.join(ROOT, p), "utf8");

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  user?: string;
  restart?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

/** Compose's `${VAR:-default}` with nothing set: the defaults `docker compose up` uses. */
function withDefaults(text: string): string {
  return text.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, "$1");
}

const compose = load(withDefaults(read("docker-compose.yml"))) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const agents = ["terminal-1", "terminal-2"];

/** `volume:/path[:ro]` → { volume, path, ro } */
function mounts(s: Service): Array<{ volume: string; path: string; ro: boolean }> {
  return (s.volumes ?? []).map((v) => {
    const [volume, p, mode] = v.split(":");
    return { volume: volume!, path: p!, ro: mode === "ro" };
  });
}

/** The named volume and the path inside it where `file` lands in service `s`. */
function volumeOf(s: Service, file: string): { volume: string; rel: string } | undefined {
  const m = mounts(s).find((m) => file.startsWith(`${m.path}/`));
  return m && { volume: m.volume, rel: path.relative(m.path, file) };
}

describe("docker-compose.yml", () => {
  it("has PostgreSQL, Redis, central, the one-shot provisioning and two agents", () => {
    expect(Object.keys(services).sort()).toEqual(["central", "postgres", "provision", "redis", ...agents].sort());
  });

  it("gives every long-running service a health check and restart: unless-stopped", () => {
    for (const name of ["postgres", "redis", "central"]) {
      expect(services[name]!.healthcheck?.test.length).toBeGreaterThan(1);
      expect(services[name]!.restart).toBe("unless-stopped");
    }
    for (const name of agents) expect(services[name]!.restart).toBe("unless-stopped");
    expect(services.provision!.restart).toBe("no");
  });

  it("keeps Redis persistent (append-only file on a volume) and PostgreSQL on a volume", () => {
    expect(services.redis!.command).toEqual(expect.arrayContaining(["--appendonly", "yes"]));
    expect(services.redis!.command).not.toContain("--save");
    expect(mounts(services.redis!)).toContainEqual({ volume: "redisdata", path: "/data", ro: false });
    expect(mounts(services.postgres!)).toContainEqual({
      volume: "pgdata",
      path: "/var/lib/postgresql/data",
      ro: false,
    });
  });

  it("starts central once PostgreSQL and Redis are healthy, and provisions once central is", () => {
    expect(services.central!.depends_on).toEqual({
      postgres: { condition: "service_healthy" },
      redis: { condition: "service_healthy" },
    });
    expect(services.provision!.depends_on).toEqual({ central: { condition: "service_healthy" } });
    for (const name of agents)
      expect(services[name]!.depends_on).toEqual({ provision: { condition: "service_completed_successfully" } });
  });

  it("builds from the project's Dockerfiles, provisioning from central's image", () => {
    expect(services.central!.build).toEqual({ context: ".", dockerfile: "deploy/docker/central.Dockerfile" });
    expect(services.provision!.build).toEqual(services.central!.build);
    expect(services.provision!.image).toBe(services.central!.image);
    for (const name of agents)
      expect(services[name]!.build).toEqual({ context: ".", dockerfile: "deploy/docker/agent.Dockerfile" });
  });

  it("hands each agent its own key: provisioning writes it into a volume only that agent mounts, read-only", () => {
    const plan = loadProvisionConfig(services.provision!.environment!);
    expect(plan.CENTRAL_URL).toBe("http://central:4000");
    expect(plan.ADMIN_TOKEN).toBe(services.central!.environment!.ADMIN_TOKEN);
    const [uid, gid] = /^USER (\d+):(\d+)$/m.exec(read("deploy/docker/agent.Dockerfile"))!.slice(1).map(Number);
    expect(plan.PROVISION_KEY_OWNER).toEqual({ uid, gid });
    expect(services.provision!.user).toBe("0:0");
    const keyVolumes = new Set<string>();
    for (const name of agents) {
      const env = services[name]!.environment!;
      expect(env.CENTRAL_API_KEY).toBeUndefined();
      // The agent refuses plain http beyond loopback unless told; inside compose it is told.
      expect(env.CENTRAL_API_URL).toBe("http://central:4000");
      expect(env.ALLOW_INSECURE_HTTP).toBe("true");
      const planned = plan.PROVISION_TERMINALS.find((t) => t.id === env.TERMINAL_ID);
      expect(planned).toBeDefined();
      const written = volumeOf(services.provision!, planned!.keyFile);
      const read = volumeOf(services[name]!, env.CENTRAL_API_KEY_FILE!);
      expect(read).toEqual(written);
      expect(mounts(services[name]!).find((m) => m.volume === read!.volume)!.ro).toBe(true);
      keyVolumes.add(read!.volume);
      for (const other of agents.filter((a) => a !== name))
        expect(mounts(services[other]!).map((m) => m.volume)).not.toContain(read!.volume);
    }
    expect(keyVolumes.size).toBe(agents.length);
  });

  it("keeps each agent's SQLite file on its own volume", () => {
    const dataVolumes = agents.map((name) => {
      const url = services[name]!.environment!.TERMINAL_DATABASE_URL!;
      expect(url).toMatch(/^file:\//);
      return volumeOf(services[name]!, url.slice("file:".length))!.volume;
    });
    expect(new Set(dataVolumes).size).toBe(2);
    for (const v of dataVolumes) expect(Object.keys(compose.volumes)).toContain(v);
  });
});

describe.each(["central", "agent"])("deploy/docker/%s.Dockerfile", (name) => {
  const text = read(`deploy/docker/${name}.Dockerfile`);
  const stages = text.split(/^FROM /m).slice(1);

  it("builds with npm run build in one stage and runs built JavaScript in another", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/RUN npm ci\b/);
    expect(stages[0]).toMatch(/RUN npm run build\b/);
    const runtime = stages.at(-1)!;
    expect(runtime).toMatch(/COPY --from=build \/app\/apps\/[a-z-]+\/dist /);
    expect(runtime).not.toMatch(/tsx|npm (ci|install|run)/);
  });

  it("runs as a non-root user with a health check", () => {
    const runtime = stages.at(-1)!;
    const user = /^USER (\d+):(\d+)$/m.exec(runtime);
    expect(user).not.toBeNull();
    expect(Number(user![1])).toBeGreaterThan(0);
    expect(runtime).toMatch(/^HEALTHCHECK /m);
  });
});

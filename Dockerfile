# syntax=docker/dockerfile:1.7
# The API, its workers and its CLI in one image; the command picks the process:
#   docker run astrix api | worker | migrate | cli <args…>      (docs/deploy.md)
ARG NODE_VERSION=22

# --- build: install the workspace, build the API (and the packages it uses) and the staff console,
#     then `pnpm deploy` the API with its production dependencies only into /prod/apps/api.
FROM node:${NODE_VERSION}-bookworm-slim AS build
ENV CI=true
RUN corepack enable
WORKDIR /repo
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --frozen-lockfile
COPY . .
RUN pnpm install --frozen-lockfile --offline
RUN pnpm exec nx run-many -t build -p @astrix/api @astrix/console --outputStyle=static
RUN pnpm --filter=@astrix/api deploy --prod --legacy /prod/apps/api \
 && cp -rT apps/api/dist /prod/apps/api/dist \
 && for package in pricing:packages/domain/pricing contracts:packages/contracts stripe-client:packages/clients/stripe; do \
      target="$(readlink -f "/prod/apps/api/node_modules/@astrix/${package%%:*}")"; \
      cp -rT "${package#*:}/dist" "$target/dist"; \
    done \
 && mkdir -p /prod/apps/console && cp -rT apps/console/dist /prod/apps/console/dist

# --- runtime: Node, the Postgres client tools (`cli backup create|restore` runs pg_dump/pg_restore;
#     they must be of the server's major version or newer), tini as PID 1, a non-root user.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MIGRATIONS_RUN=false
WORKDIR /app/apps/api
COPY --from=build --chown=root:root /prod /app
COPY --chmod=0755 ops/docker/entrypoint.sh /usr/local/bin/astrix
# The code is owned by root and read-only to the process; it runs as the image's unprivileged user.
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["tini", "--", "astrix"]
CMD ["api"]

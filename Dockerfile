# syntax=docker/dockerfile:1
# The DreamCore simulator. Same start command as `npm start` (after its build step).
#   docker build -t dreamcore-simulator .
#   docker run --rm -p 4010:4010 -e DREAMCORE_CONTROL_TOKEN=change-me dreamcore-simulator

# Node.js 24, the newest LTS line (package.json "engines"; CI runs the suite on the release of
# scripts/ci/node-versions). Debian's glibc, for sharp's prebuilt libvips (an npm package).
# Production dependencies only.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's preprepare hook checks the Node.js version with it.
COPY scripts/check-node.cjs ./scripts/
RUN npm ci --omit=dev --no-audit --no-fund

# Compile TypeScript with the full toolchain.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/check-node.cjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json openapi.yaml ./
COPY generated ./generated
COPY mock-server ./mock-server
# The reference client is part of the package (dreamcore-simulator/client) and of the build.
COPY contracts/client ./contracts/client
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4010
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The simulator reads its OpenAPI documents at start: they are its routes and validation.
COPY package.json openapi.yaml ./
COPY mock-server/control-api.yaml ./mock-server/control-api.yaml
USER node
EXPOSE 4010
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4010)+'/__mock/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/mock-server/src/main.js"]

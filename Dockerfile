# Build on the current Node LTS; the runtime image carries only what the app needs.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
COPY simulator ./simulator
COPY console ./console
COPY scripts/build-console.js ./scripts/build-console.js
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/simulator/dev-partner.json ./simulator/dev-partner.json
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# V8 options on the command line (V8 refuses --no-memory-reducer in NODE_OPTIONS): a larger young
# generation, where each request's short-lived objects die, and no memory reducer, whose compacting
# collection after a burst stopped the server for about 45 ms (docs/performance.md).
CMD ["node", "--max-semi-space-size=32", "--no-memory-reducer", "dist/src/main.js"]

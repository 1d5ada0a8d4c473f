# One image for every Tally app and the storefront; the command picks which (see docker-compose.yml).
FROM node:20-bookworm-slim AS build
ENV NEXT_TELEMETRY_DISABLED=1
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Builds the apps into dist/ and the storefront's production build into storefront/.next.
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 NEXT_TELEMETRY_DISABLED=1
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Next.js writes its cache under .next at run time: the storefront directory belongs to the user it runs as.
COPY --from=build --chown=node:node /app/storefront ./storefront
COPY package.json ./
USER node
EXPOSE 3000 3001 3002 3003 3004
CMD ["node", "dist/apps/embedded/src/main.js"]

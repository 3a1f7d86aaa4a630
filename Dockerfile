# One image for every Amtsgraph service; docker-compose.yml picks the entry point.
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --include=dev --ignore-scripts
COPY . .
USER node

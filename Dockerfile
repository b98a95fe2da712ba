# syntax=docker/dockerfile:1
# logferry's image: built from source in one stage, production dependencies installed in
# another, and only the compiled code, those dependencies and package.json in the final one.
#   docker build -t logferry:0.1.0 .
#   docker run -v /var/log:/var/log:ro logferry:0.1.0 -config.file=/etc/logferry/config.yaml
# (npm run package builds the self-contained binary for hosts; the image keeps Node.js and the
# native snappy addon, which the binary leaves out.)

# A supported Node.js LTS line (22 until 2027-04-30); logferry needs >= 20.18.1.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
# `npm install` with the lock file rather than `npm ci`: package-lock.json lacks the entries of
# some optional platform packages of dev tools (@biomejs/cli-*), which `npm ci` refuses. The
# versions installed are still the locked ones.
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim
# tzdata: the timestamp stage's `location` and Go zone abbreviations read /usr/share/zoneinfo.
# ca-certificates: HTTPS to Loki and the Kubernetes API.
# systemd: only its journalctl, which `journal:` jobs run to read the node's journal (docs/journal.md).
RUN apt-get update \
  && apt-get install -y --no-install-recommends tzdata ca-certificates systemd \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# Non-root by default. Reading the kubelet's pod logs (root, 0640) needs uid 0: the DaemonSet in
# k8s/ sets runAsUser: 0 with every capability dropped.
USER node
EXPOSE 9080
# The same young-generation size as the `logferry` binary (see src/cli.ts).
ENTRYPOINT ["node", "--max-semi-space-size=8", "/app/dist/cli.js"]
CMD ["-config.file=/etc/logferry/config.yaml"]

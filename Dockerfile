# One image for the API, the worker and the migrations; docker-compose.yml picks the command.
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first, so editing the source does not reinstall them.
# The npm that ships with Node 20 ignores package.json's `allowScripts` and runs install
# scripts as usual (esbuild, @swc/core and protobufjs need theirs).
# Dev dependencies stay: the processes run TypeScript through tsx.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY . .

# Bundle the workflows at build time so the worker starts without running webpack.
RUN node --import tsx -e " \
  const fs = require('node:fs'); \
  require('./worker/bundle').buildWorkflowBundle().then(({ code }) => { \
    fs.mkdirSync('/app/dist', { recursive: true }); \
    fs.writeFileSync('/app/dist/workflow-bundle.js', code); \
  }).catch((err) => { console.error(err); process.exit(1); }); \
" && test -s /app/dist/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js

# Set after `npm ci`, which would otherwise skip the dev dependencies.
ENV NODE_ENV=production

# The code stays owned by root, so the processes cannot rewrite it.
USER node

EXPOSE 8000
CMD ["npm", "run", "api"]

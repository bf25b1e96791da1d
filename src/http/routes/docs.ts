import fs from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import YAML from 'yaml';

export const OPENAPI_PATH = path.join(__dirname, '..', 'openapi.yaml');

/** The OpenAPI document, parsed once. */
export function loadOpenApi(): Record<string, unknown> {
  return YAML.parse(fs.readFileSync(OPENAPI_PATH, 'utf8')) as Record<string, unknown>;
}

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>CRM chatbot API</title><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });</script>
</body></html>`;

/** Swagger UI served from the installed package: the docs work without reaching the internet. */
export function docsRoutes(): Router {
  const router = new Router();
  const document = loadOpenApi();
  // The package's main module loads the whole UI bundle; only its folder is needed here.
  const assetDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));

  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = PAGE;
  });
  router.get('/docs/:asset', (ctx, next) => {
    const type = ASSETS[ctx.params.asset!];
    if (!type) return next();
    ctx.type = type;
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = fs.createReadStream(path.join(assetDir, ctx.params.asset!));
  });
  return router;
}

import fs from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import YAML from 'yaml';

export const OPENAPI_DIR = path.join(__dirname, '..', 'openapi');

type Document = { paths: Record<string, unknown>; components?: Record<string, Record<string, unknown>> };

/**
 * The OpenAPI document: `base.yaml` (info, shared components) plus one file per area, each with
 * its own `paths` and optional `components`, so areas are documented beside each other without
 * one file everyone edits. A path or component defined twice is an error.
 */
export function loadOpenApi(): Record<string, unknown> {
  const read = (file: string) => YAML.parse(fs.readFileSync(path.join(OPENAPI_DIR, file), 'utf8')) as Document;
  const document = read('base.yaml');
  for (const file of fs.readdirSync(OPENAPI_DIR).filter((f) => f.endsWith('.yaml') && f !== 'base.yaml').sort()) {
    const part = read(file);
    for (const [p, item] of Object.entries(part.paths ?? {})) {
      if (p in document.paths) throw new Error(`${file}: path ${p} is already documented`);
      document.paths[p] = item;
    }
    for (const [section, entries] of Object.entries(part.components ?? {})) {
      const target = ((document.components ??= {})[section] ??= {});
      for (const [name, value] of Object.entries(entries)) {
        if (name in target) throw new Error(`${file}: component ${section}.${name} is already defined`);
        target[name] = value;
      }
    }
  }
  return document as unknown as Record<string, unknown>;
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

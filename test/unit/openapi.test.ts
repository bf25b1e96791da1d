import { loadConfig } from '../../src/config';
import { appRouters, type AppDeps } from '../../src/http/app';
import { loadOpenApi } from '../../src/http/routes/docs';

/** Routers read little of their deps before a request arrives: configuration only. */
const routes = () =>
  appRouters({ config: loadConfig({}) } as AppDeps).flatMap((router) =>
    router.stack.flatMap((layer) =>
      layer.methods.filter((m) => m !== 'HEAD').map((method) => `${method.toLowerCase()} ${String(layer.path).replace(/:(\w+)/g, '{$1}')}`),
    ),
  );

describe('OpenAPI document', () => {
  const document = loadOpenApi() as { openapi: string; paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(document.paths).flatMap(([p, ops]) => Object.keys(ops).filter((key) => key !== 'parameters').map((method) => `${method} ${p}`));

  it('is OpenAPI 3.1', () => {
    expect(document.openapi).toBe('3.1.0');
  });

  it('resolves every $ref', () => {
    const refs = new Set<string>();
    JSON.stringify(document, (key, value: unknown) => {
      if (key === '$ref') refs.add(value as string);
      return value;
    });
    const broken = [...refs].filter((ref) => ref.slice(2).split('/').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], document) === undefined);
    expect(broken).toEqual([]);
  });

  it('documents every route the app serves, and nothing else', () => {
    expect([...documented].sort()).toEqual([...new Set(routes())].sort());
  });
});

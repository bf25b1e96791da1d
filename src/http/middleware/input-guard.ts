import type { Middleware } from 'koa';
import { MAX_JSON_DEPTH } from '../../documents/json';
import { ValidationError } from '../../errors';

/** NUL and unpaired surrogates: valid in JSON, refused by Postgres text and jsonb. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

interface Node {
  value: unknown;
  key: string | null;
  parent: Node | null;
  depth: number;
}

const pathOf = (node: Node) => {
  const keys: string[] = [];
  for (let n: Node | null = node; n; n = n.parent) if (n.key !== null) keys.unshift(n.key);
  return keys.join('.') || '(body)';
};

/**
 * The first value (in document order) Postgres could not store, or nesting past MAX_JSON_DEPTH, the
 * limit uploaded JSON files have. The walk keeps its own stack: a recursive one overflowed on a few
 * kilobytes of brackets.
 */
function findProblem(root: unknown): { path: string; message: string } | null {
  const stack: Node[] = [{ value: root, key: null, parent: null, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    if (node.key !== null && UNSTORABLE.test(node.key)) return { path: pathOf(node), message: 'contains a NUL character or an unpaired surrogate' };
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) return { path: pathOf(node), message: 'contains a NUL character or an unpaired surrogate' };
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (node.depth >= MAX_JSON_DEPTH) return { path: pathOf(node), message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    const entries = Array.isArray(value) ? value.map((item, i) => [String(i), item] as const) : Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], key: entries[i]![0], parent: node, depth: node.depth + 1 });
  }
  return null;
}

/**
 * One check for every route: text that Postgres cannot store, or a body nested past any document
 * this API takes, is a 422 naming the field, never a failure deep in a handler.
 */
export function inputGuard(): Middleware {
  return async (ctx, next) => {
    const problem = findProblem(ctx.query) ?? findProblem(ctx.request.body);
    if (problem) throw new ValidationError('Request validation failed', [problem]);
    await next();
  };
}

import type { estypes } from '@elastic/elasticsearch';
import type { Embedder } from '../embeddings/types';
import type { SearchClient } from './client';

/**
 * One index per tenant and kind, behind an alias: a tenant's rebuild swaps only its own alias,
 * and an index holds one embedder's vectors. Every query still filters on `tenant_id`.
 */
export const SEARCH_KINDS = ['knowledge', 'properties'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

/** Bumped when the mappings below change; a mismatch rebuilds the index like an embedder change. */
export const MAPPING_VERSION = 1;

export interface IndexMeta {
  embedder: string;
  dimensions: number;
  mapping_version: number;
}

export const aliasName = (prefix: string, kind: SearchKind, tenantId: string) => `${prefix}-${kind}-${tenantId}`;

const vectorField = (dims: number): estypes.MappingProperty => ({
  type: 'dense_vector',
  dims,
  index: true,
  similarity: 'cosine',
  index_options: { type: 'hnsw', m: 16, ef_construction: 100 },
});

// `search_text` holds the folded, plural-stripped terms plus bilingual concept tokens computed in
// src/embeddings/text.ts; `whitespace` keeps them as computed, on any distribution.
const textFields: Record<string, estypes.MappingProperty> = {
  search_text: { type: 'text', analyzer: 'whitespace' },
};

function mappings(kind: SearchKind, embedder: Embedder): estypes.MappingTypeMapping {
  const meta: IndexMeta = { embedder: embedder.id, dimensions: embedder.dimensions, mapping_version: MAPPING_VERSION };
  const common: Record<string, estypes.MappingProperty> = {
    id: { type: 'keyword' },
    tenant_id: { type: 'keyword' },
    embedding: vectorField(embedder.dimensions),
    ...textFields,
  };
  if (kind === 'knowledge') {
    return {
      dynamic: 'strict',
      _meta: { ...meta },
      properties: {
        ...common,
        source: { type: 'keyword' },
        source_id: { type: 'keyword' },
        ordinal: { type: 'integer' },
        title: { type: 'text' },
        text: { type: 'text' },
      },
    };
  }
  return {
    dynamic: 'strict',
    _meta: { ...meta },
    properties: {
      ...common,
      external_id: { type: 'keyword' },
      title: { type: 'text' },
      address: { type: 'text' },
      city: { type: 'text', fields: { raw: { type: 'keyword', normalizer: 'folded' } } },
      property_type: { type: 'keyword', normalizer: 'folded' },
      listing_type: { type: 'keyword' },
      status: { type: 'keyword' },
      size_sf: { type: 'double' },
      price: { type: 'double' },
      monthly_rent: { type: 'double' },
      annual_rent: { type: 'double' },
      bedrooms: { type: 'integer' },
      bathrooms: { type: 'float' },
      summary: { type: 'text', index: false },
      updated_at: { type: 'date' },
    },
  };
}

const settings: estypes.IndicesIndexSettings = {
  number_of_shards: 1,
  number_of_replicas: 0,
  // `lowercase` is built into every distribution; asciifolding is not, so values arrive folded.
  analysis: { normalizer: { folded: { type: 'custom', filter: ['lowercase'] } } },
};

/** Creates a concrete index for a kind with the current mappings, not yet behind the alias. */
export async function createIndex(es: SearchClient, name: string, kind: SearchKind, embedder: Embedder): Promise<void> {
  await es.indices.create({ index: name, settings, mappings: mappings(kind, embedder) });
}

/** The index behind an alias and its recorded embedder, or null when the alias does not exist. */
export async function aliasTarget(es: SearchClient, alias: string): Promise<{ index: string; meta: Partial<IndexMeta> } | null> {
  const res = await es.indices.getAlias({ name: alias }, { ignore: [404] });
  const indices = Object.keys(res ?? {}).filter((k) => k !== 'error' && k !== 'status');
  if (indices.length === 0) return null;
  const index = indices.sort().at(-1)!;
  // A rebuild may drop that index between the two calls: then there is nothing to judge.
  const mapping = await es.indices.getMapping({ index }, { ignore: [404] });
  if (!mapping[index]) return null;
  return { index, meta: (mapping[index].mappings._meta ?? {}) as Partial<IndexMeta> };
}

/** Whether an index was built by this embedder with these mappings. */
export const isCurrent = (meta: Partial<IndexMeta>, embedder: Embedder) =>
  meta.embedder === embedder.id && meta.dimensions === embedder.dimensions && meta.mapping_version === MAPPING_VERSION;

/**
 * The alias to write to, creating the first generation when the tenant has none. Concurrent
 * callers race on the same first index name, so exactly one creates it.
 */
export async function ensureAlias(es: SearchClient, prefix: string, kind: SearchKind, tenantId: string, embedder: Embedder): Promise<string> {
  const alias = aliasName(prefix, kind, tenantId);
  const exists = await es.indices.existsAlias({ name: alias });
  if (exists) return alias;
  const first = `${alias}-g1`;
  try {
    await es.indices.create({ index: first, settings, mappings: mappings(kind, embedder), aliases: { [alias]: {} } });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  return alias;
}

/**
 * Points the alias at `next` in one cluster-state update (searches see the old index until the
 * instant they see the new one), then drops the old indices after `graceMs`, so a search that
 * resolved the alias just before the swap still finds its index.
 */
export async function swapAlias(es: SearchClient, alias: string, next: string, graceMs = 1000): Promise<string[]> {
  const current = await es.indices.getAlias({ name: alias }, { ignore: [404] });
  const behind = Object.keys(current ?? {}).filter((k) => k !== next && k !== 'error' && k !== 'status');
  await es.indices.updateAliases({
    actions: [{ add: { index: next, alias } }, ...behind.map((index) => ({ remove: { index, alias } }))],
  });
  // Every other generation of this alias goes, including one a retried swap left behind.
  const generations = (await es.cat.indices({ index: `${alias}-*`, h: 'index', format: 'json' })) as Array<{ index?: string }>;
  const old = generations.map((g) => g.index!).filter((index) => index && index !== next);
  if (old.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, graceMs));
    await es.indices.delete({ index: old.join(','), ignore_unavailable: true });
  }
  return old;
}

/** Every tenant alias under this prefix, for the start-up embedder check. */
export async function listAliases(es: SearchClient, prefix: string): Promise<Array<{ alias: string; index: string }>> {
  const rows = await es.cat.aliases({ name: `${prefix}-*`, format: 'json', h: 'alias,index' });
  return (rows as Array<{ alias?: string; index?: string }>).filter((r) => r.alias && r.index).map((r) => ({ alias: r.alias!, index: r.index! }));
}

function isAlreadyExists(err: unknown): boolean {
  const body = (err as { meta?: { body?: { error?: { type?: string } } } }).meta?.body;
  return body?.error?.type === 'resource_already_exists_exception';
}

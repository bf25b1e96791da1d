import type { Config } from '../config';
import type { Embedder } from '../embeddings/types';
import type { SearchClient } from '../search/client';
import { aliasTarget, isCurrent, listAliases, MAPPING_VERSION, SEARCH_KINDS } from '../search/indices';
import type { TemporalDeps } from '../temporal/client';
import { startSearchSync } from './workflows';

/**
 * Finds tenants whose indices were built by another embedder (or older mappings) and starts
 * their rebuild. The worker runs it at start, so changing EMBEDDINGS_* takes effect without a
 * manual step; vectors of two models are never mixed in one index.
 */
export async function rebuildStaleIndices(deps: { es: SearchClient; temporal: TemporalDeps; config: Config; embedder: Embedder }): Promise<string[]> {
  const prefix = deps.config.ELASTICSEARCH_INDEX_PREFIX;
  const pattern = new RegExp(`^${prefix.replace(/[-]/g, '\\-')}-(${SEARCH_KINDS.join('|')})-([0-9a-f-]{36})$`);
  const started = new Set<string>();
  for (const { alias } of await listAliases(deps.es, prefix)) {
    const m = pattern.exec(alias);
    if (!m || started.has(m[2]!)) continue;
    const target = await aliasTarget(deps.es, alias);
    if (!target || isCurrent(target.meta, deps.embedder)) continue;
    const reason = target.meta.mapping_version !== MAPPING_VERSION && target.meta.embedder === deps.embedder.id ? 'mapping_changed' : 'embedder_changed';
    await startSearchSync(deps, { tenantId: m[2]!, reason });
    started.add(m[2]!);
  }
  return [...started];
}

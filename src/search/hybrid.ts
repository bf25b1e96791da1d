import type { estypes } from '@elastic/elasticsearch';
import { searchText } from '../embeddings/text';
import type { SearchClient } from './client';

/** Reciprocal rank fusion constant from the original paper; Elasticsearch's default too. */
export const RRF_K = 60;

export interface HybridQuery {
  index: string;
  tenantId: string;
  text: string;
  vector: number[];
  /** Structured filters besides the tenant's. */
  filters?: estypes.QueryDslQueryContainer[];
  /** Raw-text fields for BM25 besides the analyzed `search_text`. */
  textFields: string[];
  /** How many fused hits to return. */
  size: number;
  /** Candidates per list before fusion (≥ size). */
  window?: number;
}

export interface HybridHit<T> {
  id: string;
  source: T;
  score: number;
  bm25Rank: number | null;
  knnRank: number | null;
}

/**
 * BM25 and kNN in one `_msearch`, fused by reciprocal rank. Done here rather than with the
 * `rrf` retriever because that needs a licence tier and a module the minimal distribution lacks;
 * the arithmetic is the same. A tenant without an index yet gets no hits, not an error.
 */
export async function hybridSearch<T>(es: SearchClient, q: HybridQuery): Promise<HybridHit<T>[]> {
  const window = Math.max(q.window ?? q.size * 4, q.size);
  const filter: estypes.QueryDslQueryContainer[] = [{ term: { tenant_id: q.tenantId } }, ...(q.filters ?? [])];
  const analyzed = searchText(q.text);
  const should: estypes.QueryDslQueryContainer[] = [];
  if (analyzed) should.push({ match: { search_text: { query: analyzed } } });
  if (q.text.trim()) should.push({ multi_match: { query: q.text, fields: q.textFields } });
  const header = { index: q.index, ignore_unavailable: true };
  const res = await es.msearch<T>({
    searches: [
      header,
      { size: window, _source: { excludes: ['embedding', 'search_text'] }, query: { bool: { filter, should, minimum_should_match: should.length ? 1 : 0 } } },
      header,
      { size: window, _source: { excludes: ['embedding', 'search_text'] }, knn: { field: 'embedding', query_vector: q.vector, k: window, num_candidates: Math.max(100, window * 2), filter } },
    ],
  });
  const [bm25, knn] = res.responses.map((r) => {
    if ('error' in r) {
      if (r.error.type === 'index_not_found_exception') return [];
      throw new Error(`search failed: ${r.error.type}: ${r.error.reason ?? ''}`);
    }
    return r.hits.hits;
  });
  const fused = new Map<string, HybridHit<T>>();
  const add = (hits: estypes.SearchHit<T>[] | undefined, key: 'bm25Rank' | 'knnRank') => {
    (hits ?? []).forEach((hit, i) => {
      const id = hit._id!;
      const entry = fused.get(id) ?? { id, source: hit._source as T, score: 0, bm25Rank: null, knnRank: null };
      entry.score += 1 / (RRF_K + i + 1);
      entry[key] = i + 1;
      fused.set(id, entry);
    });
  };
  add(bm25, 'bm25Rank');
  add(knn, 'knnRank');
  return [...fused.values()].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id)).slice(0, q.size);
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { Embedder } from '../embeddings/types';
import { KnowledgeChunkSchema, PropertySchema, type KnowledgeChunk, type Property } from '../db/entities';
import type { SearchClient } from '../search/client';
import { chunkDocument, chunkSearchText, propertyDocument, propertyText } from '../search/documents';

/**
 * Embeds and bulk-indexes rows with their Postgres ids as document ids, so a retried or resumed
 * batch overwrites what an earlier attempt wrote instead of adding to it.
 */
export async function indexProperties(es: SearchClient, embedder: Embedder, index: string, rows: Property[], refresh = false): Promise<number> {
  if (rows.length === 0) return 0;
  const vectors = await embedder.embed(rows.map(propertyText));
  return bulkIndex(es, index, rows.map((p, i) => ({ id: p.id, doc: propertyDocument(p, vectors[i]!) })), refresh);
}

export async function indexChunks(es: SearchClient, embedder: Embedder, index: string, rows: KnowledgeChunk[], refresh = false): Promise<number> {
  if (rows.length === 0) return 0;
  const vectors = await embedder.embed(rows.map(chunkSearchText));
  return bulkIndex(es, index, rows.map((c, i) => ({ id: c.id, doc: chunkDocument(c, vectors[i]!) })), refresh);
}

/** One `_bulk` request; any rejected document fails the whole call so Temporal retries it. */
async function bulkIndex(es: SearchClient, index: string, docs: Array<{ id: string; doc: Record<string, unknown> }>, refresh: boolean): Promise<number> {
  const res = await es.bulk({
    refresh: refresh ? 'wait_for' : false,
    operations: docs.flatMap(({ id, doc }) => [{ index: { _index: index, _id: id } }, doc]),
  });
  if (res.errors) {
    const failed = res.items.map((i) => i.index).filter((i) => i?.error);
    throw new Error(`Elasticsearch rejected ${failed.length} of ${docs.length} documents: ${JSON.stringify(failed[0]?.error)}`);
  }
  return docs.length;
}

/**
 * Indexes keyset batches from `from.after` on, loading and embedding the next batch while the
 * previous bulk request is in flight (Elasticsearch indexes on its own cores meanwhile). Batches
 * settle in order, so every position passed to `onSettled` is one below which everything is
 * indexed: a heartbeat of it lets a retry resume there. Returns the running count.
 */
export async function indexInBatches<T extends { id: string }>(
  from: { after: string | null; indexed: number },
  load: (after: string | null) => Promise<T[]>,
  index: (rows: T[]) => Promise<number>,
  onSettled: (position: { after: string; indexed: number }) => Promise<void> | void,
): Promise<number> {
  let { indexed } = from;
  let next = from.after;
  let inFlight: { done: Promise<number>; last: string } | null = null;
  const settle = async (batch: { done: Promise<number>; last: string }) => {
    indexed += await batch.done;
    await onSettled({ after: batch.last, indexed });
  };
  for (;;) {
    const rows = await load(next);
    if (rows.length === 0) break;
    next = rows.at(-1)!.id;
    const started = { done: index(rows), last: next };
    // Awaited below; a batch left behind by an earlier failure must not crash the worker as an
    // unhandled rejection.
    started.done.catch(() => undefined);
    if (inFlight) await settle(inFlight);
    inFlight = started;
  }
  if (inFlight) await settle(inFlight);
  return indexed;
}

/** Removes documents by id (absent ones are fine), visible to searches when this returns. */
export async function deleteFromIndex(es: SearchClient, index: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const res = await es.bulk({ refresh: 'wait_for', operations: ids.map((id) => ({ delete: { _index: index, _id: id } })) });
  const failed = res.items.map((i) => i.delete).filter((d) => d?.error);
  if (failed.length) throw new Error(`Elasticsearch refused to delete ${failed.length} documents: ${JSON.stringify(failed[0]?.error)}`);
}

/** Keyset pages of a tenant's rows, for indexing without offsets that slow down with depth. */
export async function nextProperties(em: EntityManager, where: Record<string, unknown>, after: string | null, limit: number): Promise<Property[]> {
  return em.find(PropertySchema, { ...where, ...(after ? { id: { $gt: after } } : {}) }, { orderBy: { id: 'asc' }, limit });
}

export async function nextChunks(em: EntityManager, where: Record<string, unknown>, after: string | null, limit: number): Promise<KnowledgeChunk[]> {
  return em.find(KnowledgeChunkSchema, { ...where, ...(after ? { id: { $gt: after } } : {}) }, { orderBy: { id: 'asc' }, limit });
}

/** Which of these ids still have a row of the kind an index holds. */
export async function existingIds(em: EntityManager, kind: 'properties' | 'knowledge', ids: string[]): Promise<Set<string>> {
  const rows = kind === 'properties'
    ? await em.find(PropertySchema, { id: { $in: ids } }, { fields: ['id'] })
    : await em.find(KnowledgeChunkSchema, { id: { $in: ids } }, { fields: ['id'] });
  return new Set(rows.map((r) => String(r.id)));
}

/**
 * The advisory lock a change to an entry or listing holds until it commits, and the indexing of
 * that target takes before reading it.
 */
export function indexLockKey(tenantId: string, target: { kind: string; entryId?: string; propertyId?: string }): string {
  return `index:${tenantId}:${target.kind}:${target.entryId ?? target.propertyId ?? ''}`;
}

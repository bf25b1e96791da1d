import { Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import { tenantEm } from '../src/db/orm';
import type { Embedder } from '../src/embeddings/types';
import type { KnowledgeChunk, Property } from '../src/db/entities';
import { deleteFromIndex, existingIds, indexChunks, indexInBatches, indexProperties, nextChunks, nextProperties } from '../src/knowledge/indexing';
import type { SearchClient } from '../src/search/client';
import { aliasName, createIndex, swapAlias, type SearchKind } from '../src/search/indices';

/** How far before a rebuild began its catch-up looks for changes. */
const CATCH_UP_MARGIN_MS = 60_000;

export interface SearchSyncDeps {
  orm: MikroORM;
  es: SearchClient;
  embedder: Embedder;
  indexPrefix: string;
  batchSize: number;
}

interface RebuildProgress {
  index: string;
  startedAt: string;
  after: string | null;
  count: number;
}

/** The searchSync workflow's steps: build a fresh index from Postgres, then move the alias. */
export function createSearchSyncActivities(deps: SearchSyncDeps) {
  const scoped = (tenantId: string) => tenantEm(deps.orm, tenantId);
  /** Copies the rows of one kind matching `where` past `state.after` into an index, in batches. */
  const copy = async (tenantId: string, kind: SearchKind, index: string, where: Record<string, unknown>, state: { after: string | null; count: number }, onBatch?: () => void) => {
    const em = scoped(tenantId);
    const load = (after: string | null) => {
      em.clear();
      return kind === 'properties' ? nextProperties(em, where, after, deps.batchSize) : nextChunks(em, where, after, deps.batchSize);
    };
    const indexRows = (rows: Array<Property | KnowledgeChunk>) =>
      kind === 'properties' ? indexProperties(deps.es, deps.embedder, index, rows as Property[]) : indexChunks(deps.es, deps.embedder, index, rows as KnowledgeChunk[]);
    await indexInBatches<Property | KnowledgeChunk>({ after: state.after, indexed: state.count }, load, indexRows, (position) => {
      state.after = position.after;
      state.count = position.indexed;
      onBatch?.();
    });
  };

  /** Deletes from an index every document whose row is gone from Postgres; returns how many. */
  const removeVanished = async (tenantId: string, kind: SearchKind, index: string): Promise<number> => {
    const em = scoped(tenantId);
    let removed = 0;
    let page = await deps.es.search({ index, scroll: '1m', size: deps.batchSize, _source: false, sort: ['_doc'] });
    try {
      while (page.hits.hits.length > 0) {
        const ids = page.hits.hits.map((h) => h._id!);
        em.clear();
        const kept = await existingIds(em, kind, ids);
        const gone = ids.filter((id) => !kept.has(id));
        if (gone.length > 0) {
          await deleteFromIndex(deps.es, index, gone);
          removed += gone.length;
        }
        page = await deps.es.scroll({ scroll_id: page._scroll_id!, scroll: '1m' });
      }
    } finally {
      if (page._scroll_id) await deps.es.clearScroll({ scroll_id: page._scroll_id }).catch(() => undefined);
    }
    return removed;
  };

  return {
    /**
     * Copies every row of one kind into a new index built with the current embedder and mappings,
     * heartbeating its position so a retry continues the same index.
     */
    async rebuildSearchIndex(input: { tenantId: string; kind: SearchKind }): Promise<{ index: string; count: number; startedAt: string; tookMs: number }> {
      const ctx = Context.current();
      const started = Date.now();
      const resumed = ctx.info.heartbeatDetails as RebuildProgress | undefined;
      const alias = aliasName(deps.indexPrefix, input.kind, input.tenantId);
      const state: RebuildProgress = resumed ?? { index: `${alias}-${Date.now().toString(36)}`, startedAt: new Date().toISOString(), after: null, count: 0 };
      if (!(await deps.es.indices.exists({ index: state.index }))) await createIndex(deps.es, state.index, input.kind, deps.embedder);
      await copy(input.tenantId, input.kind, state.index, {}, state, () => ctx.heartbeat({ ...state }));
      await deps.es.indices.refresh({ index: state.index });
      return { index: state.index, count: state.count, startedAt: state.startedAt, tookMs: Date.now() - started };
    },

    /**
     * Points the alias at the rebuilt index (dropping the old one in the same step), then indexes
     * what changed in Postgres while the copy ran, which the copy may have passed already.
     */
    async swapSearchAlias(input: { tenantId: string; kind: SearchKind; index: string; since?: string }): Promise<{ caughtUp: number; removed?: number }> {
      const alias = aliasName(deps.indexPrefix, input.kind, input.tenantId);
      await swapAlias(deps.es, alias, input.index);
      if (!input.since) return { caughtUp: 0 };
      // A change stamped just before the copy began can commit after the copy read past its row; the
      // margin takes such changes in again (transactions open longer than it are not covered).
      const since = new Date(new Date(input.since).getTime() - CATCH_UP_MARGIN_MS);
      const state = { after: null as string | null, count: 0 };
      const where = input.kind === 'properties' ? { updatedAt: { $gte: since } } : { createdAt: { $gte: since } };
      await copy(input.tenantId, input.kind, alias, where, state);
      // A row deleted while the copy ran was removed from the old index only.
      const removed = await removeVanished(input.tenantId, input.kind, input.index);
      if (state.count > 0 || removed > 0) await deps.es.indices.refresh({ index: alias });
      return { caughtUp: state.count, removed };
    },
  };
}

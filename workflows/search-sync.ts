import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SearchSyncInput, SearchSyncResult } from '../src/contracts/documents';

const { rebuildSearchIndex, swapSearchAlias } = proxyActivities<Activities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * Rebuilds a tenant's search indices from Postgres into fresh indices, then moves each alias in
 * one atomic step: searches keep answering from the old index until the new one is complete.
 */
export async function searchSync(input: SearchSyncInput): Promise<SearchSyncResult> {
  const indices: Record<string, string> = {};
  let properties = 0;
  let chunks = 0;
  let tookMs = 0;
  for (const kind of ['properties', 'knowledge'] as const) {
    const built = await rebuildSearchIndex({ tenantId: input.tenantId, kind });
    await swapSearchAlias({ tenantId: input.tenantId, kind, index: built.index, since: built.startedAt });
    indices[kind] = built.index;
    tookMs += built.tookMs;
    if (kind === 'properties') properties = built.count;
    else chunks = built.count;
  }
  return { properties, chunks, indices, tookMs };
}

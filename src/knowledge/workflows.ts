import { WorkflowIdConflictPolicy, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ingestionWorkflowId, searchSyncWorkflowId, type DocumentIngestionResult, type IngestionTarget, type SearchSyncInput } from '../contracts/documents';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../http/deps';
import { ServiceUnavailableError } from '../errors';
import { indexLockKey } from './indexing';

export type TemporalUser = Pick<AppDeps, 'temporal' | 'config'>;

/**
 * Starts indexing of one target. A knowledge entry or listing edited again while its previous
 * indexing runs replaces that run, since the activity reads the latest row anyway.
 */
export async function startIngestion(deps: TemporalUser, tenantId: string, target: IngestionTarget): Promise<WorkflowHandle> {
  const workflowId = ingestionWorkflowId(tenantId, target);
  return deps.temporal.client.workflow.start('documentIngestion', {
    taskQueue: deps.temporal.taskQueue,
    workflowId,
    args: [{ tenantId, target }],
    workflowIdConflictPolicy: target.kind === 'document' ? WorkflowIdConflictPolicy.FAIL : WorkflowIdConflictPolicy.TERMINATE_EXISTING,
    searchAttributes: { CrmTenantId: [tenantId], ...(target.kind === 'document' ? { CrmDocumentId: [target.documentId] } : {}) },
  });
}

export type WaitOutcome<T> = { done: true; result: T } | { done: false; failure?: string };

/** Waits a bounded time for a workflow: small work is answered in the request, big work with 202. */
export async function waitFor<T>(handle: WorkflowHandle, ms: number): Promise<WaitOutcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    const outcome = await Promise.race([handle.result() as Promise<T>, timeout]);
    return outcome === 'timeout' ? { done: false } : { done: true, result: outcome };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { done: false, failure: failureMessage(err) };
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function failureMessage(err: WorkflowFailedError): string {
  let cause: unknown = err.cause;
  while (cause && typeof cause === 'object' && 'cause' in cause && (cause as { cause?: unknown }).cause) cause = (cause as { cause: unknown }).cause;
  return cause instanceof Error ? cause.message : err.message;
}

/**
 * Commits a change to a knowledge entry or listing together with the start of its indexing. When
 * Temporal cannot take the indexing, the change is rolled back and the client gets a 503, so
 * Postgres never holds a change the search index would not follow. Waits briefly for the index.
 */
export async function saveAndIndex(deps: TemporalUser, em: EntityManager, tenantId: string, targetOf: () => IngestionTarget, write?: () => Promise<unknown>): Promise<IndexingStatus> {
  let handle: WorkflowHandle;
  await em.begin();
  try {
    await write?.();
    await em.flush();
    // After the flush, which gives a new row its id.
    const target = targetOf();
    // The indexing activity waits on this lock, so it reads the change only once committed.
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [indexLockKey(tenantId, target)]);
    handle = await startIngestion(deps, tenantId, target).catch((err: Error) => {
      throw new ServiceUnavailableError(`Indexing could not be started (${err.message}); nothing was saved, retry`);
    });
    await em.commit();
  } catch (err) {
    await em.rollback();
    throw err;
  }
  const outcome = await waitFor<DocumentIngestionResult>(handle, deps.config.INGEST_SYNC_WAIT_MS);
  return { status: outcome.done ? 'indexed' : 'pending', workflow_id: handle.workflowId };
}

export interface IndexingStatus {
  status: 'indexed' | 'pending';
  workflow_id: string;
}

/** Starts (or joins the running) rebuild of a tenant's search indices. */
export async function startSearchSync(deps: TemporalUser, input: SearchSyncInput): Promise<WorkflowHandle> {
  return deps.temporal.client.workflow.start('searchSync', {
    taskQueue: deps.temporal.taskQueue,
    workflowId: searchSyncWorkflowId(input.tenantId),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    searchAttributes: { CrmTenantId: [input.tenantId] },
  });
}

import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DocumentIngestionInput, DocumentIngestionResult } from '../src/contracts/documents';

// Long steps heartbeat every batch: a worker that dies is noticed within the heartbeat timeout
// and the retry resumes from the last heartbeat's position.
const { storeDocument, indexTarget } = proxyActivities<Activities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
const { finishDocument } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * Makes one upload, knowledge-base entry or listing searchable: parse and store (uploads only),
 * then embed and index. Rejected rows are reported on the document, not failures; a file that
 * cannot be read at all fails the workflow with the reason and marks the document failed.
 */
export async function documentIngestion(input: DocumentIngestionInput): Promise<DocumentIngestionResult> {
  const { tenantId, target } = input;
  if (target.kind !== 'document') {
    const { indexed, removed } = await indexTarget(input);
    return { kind: removed ? 'removed' : 'text', recordsInserted: 0, rejectedRecords: 0, chunks: target.kind === 'kb' ? indexed : 0, indexed };
  }

  const documentId = target.documentId;
  try {
    const stored = await storeDocument({ tenantId, documentId });
    const { indexed } = await indexTarget(input);
    await finishDocument({ tenantId, documentId, status: 'completed', indexed });
    return { kind: stored.kind, recordsInserted: stored.recordsInserted, rejectedRecords: stored.rejectedRecords, chunks: stored.chunks, indexed };
  } catch (err) {
    const cause = err instanceof ApplicationFailure ? err : (err as { cause?: unknown }).cause;
    const failure = cause instanceof ApplicationFailure ? `${cause.type ?? 'error'}: ${cause.message}` : String(err);
    await finishDocument({ tenantId, documentId, status: 'failed', failure });
    throw err;
  }
}

import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { topics, type HealthProbeInput, type HealthProbeResult } from '../src/contracts';

const { checkWorkerServices, publishEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', maximumAttempts: 5 },
});

/**
 * End-to-end check through the worker: reach the services from the worker, publish an event that
 * travels Postgres NOTIFY → API → WebSocket, wait durably, publish a second one.
 */
export async function healthProbe(input: HealthProbeInput): Promise<HealthProbeResult> {
  const topic = topics.probe(input.probeId);
  const worker = await checkWorkerServices();
  const startedEventId = await publishEvent({ topic, type: 'probe.started', payload: { probeId: input.probeId, worker } });
  if (input.holdMs && input.holdMs > 0) await sleep(input.holdMs);
  const finishedEventId = await publishEvent({
    topic,
    type: 'probe.finished',
    payload: { probeId: input.probeId, workflowId: workflowInfo().workflowId },
  });
  return { probeId: input.probeId, worker, startedEventId, finishedEventId };
}

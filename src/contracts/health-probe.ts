/** Input and result of the healthProbe workflow: an end-to-end check through the worker. */
export interface HealthProbeInput {
  probeId: string;
  /** Durable pause between the two events, so a probe can outlive a worker restart. */
  holdMs?: number;
}

export interface ServiceCheck {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface HealthProbeResult {
  probeId: string;
  worker: { postgres: ServiceCheck; elasticsearch: ServiceCheck };
  startedEventId: number;
  finishedEventId: number;
}

export const healthProbeWorkflowId = (probeId: string) => `probe:${probeId}`;

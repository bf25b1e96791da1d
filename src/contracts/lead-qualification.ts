import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { LeadScore, PipelineStage } from './leads';
import type { WebhookEvent } from './webhooks';

export interface LeadQualificationInput {
  tenantId: string;
  leadId: string;
  /** No activity for this long schedules a follow-up; as long again marks the lead lost. */
  staleAfterMs: number;
}

export type LeadChangeKind = 'created' | 'message' | 'extracted' | 'manual_edit';

export interface LeadChange {
  kind: LeadChangeKind;
  actorId?: string | null;
  /** The outbound webhook event this change is, if any. */
  event?: WebhookEvent;
}

export interface LeadQualificationState {
  score: LeadScore | null;
  stage: PipelineStage | null;
  followUpsScheduled: number;
  lost: boolean;
  changesSeen: number;
}

/** Outcome of one rescoring, as the workflow needs it. */
export interface RescoreOutcome {
  exists: boolean;
  score?: LeadScore;
  stage?: PipelineStage;
  /** Set when the rescoring itself moved the stage. */
  stageChanged?: boolean;
}

export const leadChangedSignal = defineSignal<[LeadChange]>('leadChanged');
export const leadStateQuery = defineQuery<LeadQualificationState>('leadState');
export const leadWorkflowId = (tenantId: string, leadId: string) => `lead:${tenantId}:${leadId}`;

/**
 * Lead vocabulary and the scoring rules, shared by the API and (as pure code) by workflows.
 */
export const PIPELINE_STAGES = ['entrada', 'perfilamiento', 'calificacion_financiera', 'agendado', 'seguimiento', 'referidos', 'ganado', 'perdido'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

export const LEAD_STATUSES = ['cold', 'warm', 'hot', 'converted', 'lost'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

export const QUALIFICATIONS = ['no_calificado', 'potencial', 'calificado'] as const;
export type Qualification = (typeof QUALIFICATIONS)[number];

/** What scoring reads of a lead. */
export interface LeadFacts {
  name?: string | null;
  phone?: string | null;
  email?: string | null;
  location?: string | null;
  budget?: string | null;
  propertyType?: string | null;
  timeline?: string | null;
  /** Conversation turns and other activity, for the engagement factor. */
  activityCount: number;
}

export interface ScoreBreakdownItem {
  factor: string;
  weight: number;
  /** 0..1: how much of the weight the lead earned. */
  earned: number;
  points: number;
}

export interface LeadScore {
  score: number;
  qualification: Qualification;
  temperature: 'cold' | 'warm' | 'hot';
  breakdown: ScoreBreakdownItem[];
}

const present = (v: string | null | undefined) => (typeof v === 'string' && v.trim().length > 0 ? 1 : 0);

/** Activity that counts as full engagement. */
const ENGAGED_ACTIVITIES = 10;

/**
 * The score is the share of the tenant's weights the lead has earned, 0–100, with a breakdown a
 * person can read. Unknown weight names earn nothing, so a typo in the configuration shows.
 */
export function scoreLead(facts: LeadFacts, weights: Record<string, number>): LeadScore {
  const earnedBy: Record<string, number> = {
    has_name: present(facts.name),
    has_phone: present(facts.phone),
    has_email: present(facts.email),
    has_location: present(facts.location),
    has_budget: present(facts.budget),
    has_property_type: present(facts.propertyType),
    has_timeline: present(facts.timeline),
    engagement: Math.min(1, facts.activityCount / ENGAGED_ACTIVITIES),
  };
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  const breakdown = Object.entries(weights).map(([factor, weight]) => {
    const earned = earnedBy[factor] ?? 0;
    return { factor, weight, earned: Math.round(earned * 100) / 100, points: total > 0 ? Math.round(((weight * earned) / total) * 1000) / 10 : 0 };
  });
  const score = Math.min(100, Math.round(breakdown.reduce((a, b) => a + b.points, 0) * 10) / 10);
  return {
    score,
    qualification: score >= 70 ? 'calificado' : score >= 40 ? 'potencial' : 'no_calificado',
    temperature: score >= 70 ? 'hot' : score >= 40 ? 'warm' : 'cold',
    breakdown,
  };
}

/**
 * The stage a lead's facts justify, moving forward only from `current` through the first three
 * stages; later stages (scheduled, follow-up, won, lost…) are set by people or other workflows.
 */
export function advanceStage(current: PipelineStage, facts: LeadFacts): PipelineStage {
  const order = PIPELINE_STAGES.indexOf(current);
  const hasContact = present(facts.name) && (present(facts.phone) || present(facts.email));
  const target: PipelineStage = hasContact && present(facts.budget) ? 'calificacion_financiera' : hasContact ? 'perfilamiento' : 'entrada';
  return PIPELINE_STAGES.indexOf(target) > order && order <= PIPELINE_STAGES.indexOf('calificacion_financiera') ? target : current;
}

import type { LeadScoringWeights, PromptSections, SlaPolicy } from '../db/entities';

/** What a new tenant starts with (seed 001's Sofía); admins change it under /api/broker/config. */
export function defaultTenantConfig(tenantName: string) {
  return {
    assistantName: 'Sofía',
    persona: `Sofía, the virtual assistant of ${tenantName}: warm, concise and helpful. She answers from the agency's listings and documents and never invents a property or a price.`,
    tone: 'friendly-professional',
    promptSections: {
      identity: `You are Sofía, the assistant of ${tenantName}.`,
      goals: 'Understand what the customer is looking for and collect name, phone, email, location, budget, property type and size, and timeline.',
      style: "Reply in the customer's language, in short paragraphs, one question at a time.",
      rules: 'Use only the listings and documents provided. Offer a human agent when asked or when you cannot help.',
    } satisfies PromptSections,
    leadScoringWeights: {
      has_name: 10,
      has_phone: 15,
      has_email: 10,
      has_location: 10,
      has_budget: 20,
      has_property_type: 10,
      has_timeline: 15,
      engagement: 10,
    } satisfies LeadScoringWeights,
    slaPolicies: [
      { priority: 'urgent', firstResponseMinutes: 15, resolutionMinutes: 240 },
      { priority: 'high', firstResponseMinutes: 60, resolutionMinutes: 480 },
      { priority: 'medium', firstResponseMinutes: 240, resolutionMinutes: 1440 },
      { priority: 'low', firstResponseMinutes: 480, resolutionMinutes: 2880 },
    ] satisfies SlaPolicy[],
  };
}

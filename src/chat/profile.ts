import type { TenantConfig } from '../db/entities';
import type { AssistantProfile } from '../llm/types';

/**
 * The assistant profile a reply is written with: the tenant's configuration, or the defaults a
 * tenant without one gets. The reply activity and the prompt preview must build the same one.
 */
export function assistantProfile(config: Pick<TenantConfig, 'assistantName' | 'persona' | 'tone' | 'promptSections'> | null, flow: AssistantProfile['flow']): AssistantProfile {
  return {
    assistantName: config?.assistantName ?? 'Sofía',
    persona: config?.persona ?? 'A helpful real-estate assistant.',
    tone: config?.tone ?? 'friendly-professional',
    promptSections: { ...config?.promptSections },
    flow,
  };
}

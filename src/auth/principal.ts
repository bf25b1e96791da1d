import type { ApiKeyScope, Role } from '../db/entities';

/** Who is calling: a staff user with a JWT, or a machine client with an API key. */
export interface Principal {
  kind: 'user' | 'api_key';
  id: string;
  /** null only for SUPERADMIN, who sees every tenant. */
  tenantId: string | null;
  role: Role;
  /** Present for API keys: what the key may do. */
  scopes?: ApiKeyScope[];
  sessionId?: string;
  rateLimitPerMinute?: number | null;
}

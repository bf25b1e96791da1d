import type { IncomingMessage } from 'node:http';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Principal } from '../auth/principal';
import type { AuthService } from '../auth/service';
import { UnauthorizedError } from '../auth/tokens';
import { ALL_TENANTS, TENANT_FILTER } from '../db/orm';
import type { TopicAccess } from './hub';

/** Topics anyone may follow: they carry no tenant data. */
const PUBLIC_TOPIC = /^(system|probe:[\w.-]+)$/;

/**
 * Identity-aware topic access: credentials come as `?access_token=` (browsers cannot set headers
 * on a WebSocket), `Authorization: Bearer` or `X-API-Key`. `tenant:<id>` is for that tenant's
 * staff and keys; SUPERADMIN follows anything; anonymous clients only public topics.
 */
export function topicAccess(deps: { orm: MikroORM; auth: AuthService }): TopicAccess {
  return async (request: IncomingMessage) => {
    const principal = await identifyUpgrade(deps, request);
    return {
      mayFollow: (topic) => {
        if (PUBLIC_TOPIC.test(topic)) return true;
        if (!principal) return false;
        if (principal.role === 'SUPERADMIN') return true;
        return topic === `tenant:${principal.tenantId}` || topic.startsWith(`tenant:${principal.tenantId}:`);
      },
      // The same check as at the handshake: logout, deactivation, revocation and expiry all end it.
      stillValid: principal ? () => identifyUpgrade(deps, request).then(Boolean) : undefined,
    };
  };
}

async function identifyUpgrade(deps: { orm: MikroORM; auth: AuthService }, request: IncomingMessage): Promise<Principal | null> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const authorization = request.headers.authorization;
  const token = url.searchParams.get('access_token') ?? /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const apiKey = request.headers['x-api-key'];
  // Credentials of another kind are refused, as on HTTP, not taken as an anonymous connection.
  if (authorization && !token) throw new UnauthorizedError('Use a Bearer token or an API key', 'invalid_token');
  if (!token && !apiKey) return null;
  const em = deps.orm.em.fork();
  em.setFilterParams(TENANT_FILTER, { tenantId: ALL_TENANTS });
  return typeof apiKey === 'string' ? deps.auth.authenticateApiKey(em, apiKey) : deps.auth.authenticateBearer(em, token!);
}

const CHAT_STREAM_PATH = /^\/api\/v1\/chat\/stream\/([0-9a-f-]{36})$/i;

/** `/api/v1/chat/stream/{session_id}` follows that session's events (access checked as usual). */
export function chatStreamTopics(orm: MikroORM): (pathname: string) => Promise<string[] | null> {
  return async (pathname) => {
    const m = CHAT_STREAM_PATH.exec(pathname);
    if (!m) return null;
    const rows = await orm.em.fork().execute<Array<{ tenant_id: string }>>('select tenant_id from chat_sessions where id = ?', [m[1]!.toLowerCase()]);
    return rows[0] ? [`tenant:${rows[0].tenant_id}:session:${m[1]!.toLowerCase()}`] : null;
  };
}

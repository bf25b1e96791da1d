import Router from '@koa/router';
import { z } from 'zod';
import { randomSecret, sha256 } from '../../auth/secrets';
import { API_KEY_SCOPES, ApiKeySchema, TenantSchema } from '../../db/entities';
import type { AppDeps } from '../deps';
import { findOr404 } from '../lookup';
import { principalOf, requestEm, requireRole, targetTenant } from '../middleware/identity';
import { Paging, Uuid } from '../schemas';
import { presentApiKey } from './presenters';

export const ApiKeyCreateSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(3).default(['read', 'write']),
  rate_limit_per_minute: z.number().int().min(1).max(100_000).optional(),
  broker_id: Uuid.optional(),
});

/** Keys for machine clients (seed 003's X-API-Key): the secret is shown once, only its hash is kept. */
export function apiKeyRoutes(_deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/api-keys' });
  router.use(requireRole('ADMIN', 'SUPERADMIN'));

  router.get('/', async (ctx) => {
    const { skip, limit } = Paging.parse(ctx.query);
    const [rows, total] = await requestEm().findAndCount(ApiKeySchema, {}, { orderBy: { createdAt: 'desc' }, offset: skip, limit });
    ctx.body = { data: rows.map(presentApiKey), total, skip, limit };
  });

  router.post('/', async (ctx) => {
    const body = ApiKeyCreateSchema.parse(ctx.request.body);
    const tenantId = targetTenant(ctx, body.broker_id);
    await findOr404(TenantSchema, tenantId, 'Broker');
    const principal = principalOf(ctx);
    const secret = randomSecret('ck_');
    const key = requestEm().create(ApiKeySchema, {
      tenantId,
      name: body.name,
      prefix: secret.slice(0, 11),
      secretHash: sha256(secret),
      scopes: [...new Set(body.scopes)],
      rateLimitPerMinute: body.rate_limit_per_minute ?? null,
      createdBy: principal.kind === 'user' ? principal.id : null,
    });
    await requestEm().flush();
    ctx.state.audit = { action: 'api_keys.create', resource: 'api_keys', resourceId: key.id, tenantId };
    ctx.status = 201;
    ctx.body = { ...presentApiKey(key), key: secret };
  });

  router.delete('/:id', async (ctx) => {
    const key = await findOr404(ApiKeySchema, ctx.params.id, 'API key');
    ctx.state.audit = { action: 'api_keys.revoke', resource: 'api_keys', resourceId: key.id, tenantId: key.tenantId };
    key.revokedAt ??= new Date();
    await requestEm().flush();
    ctx.status = 204;
  });

  return router;
}

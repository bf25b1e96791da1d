import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import type { Config } from '../../config';
import { LEGACY_WEBHOOK_EVENTS, WEBHOOK_EVENTS, type WebhookEvent } from '../../contracts/webhooks';
import { WebhookDeliverySchema, WebhookSubscriptionSchema, type WebhookSubscription } from '../../db/entities';
import { generateWebhookSecret } from '../../webhooks/signature';
import { webhookUrlProblem } from '../../webhooks/url';
import type { AppDeps } from '../deps';
import { findOr404 } from '../lookup';
import { principalOf, requestEm, requireRole, targetTenant } from '../middleware/identity';
import { Paging, Uuid } from '../schemas';
import { presentWebhook, presentWebhookDelivery } from './presenters';

/** The URL rules depend on where this API listens, so the schema is built from the config. */
const webhookUrl = (config: Pick<Config, 'PORT' | 'HOST' | 'PUBLIC_URL'>) =>
  z
    .string()
    .trim()
    .min(1)
    .max(2048)
    .superRefine((value, issue) => {
      const problem = webhookUrlProblem(value, config);
      if (problem) issue.addIssue({ code: 'custom', message: problem });
    });

/** An HMAC key: short ones are guessable, so callers bringing their own need 16+ characters. */
const WebhookSecret = z.string().min(16).max(200);

export const webhookCreateSchema = (config: Pick<Config, 'PORT' | 'HOST' | 'PUBLIC_URL'>) =>
  z.strictObject({
    url: webhookUrl(config),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(20),
    secret: WebhookSecret.optional(),
    broker_id: Uuid.optional(),
  });

/** Seed 003's body, with its event names. */
export const legacyWebhookCreateSchema = (config: Pick<Config, 'PORT' | 'HOST' | 'PUBLIC_URL'>) =>
  z.strictObject({
    url: webhookUrl(config),
    events: z.array(z.enum(Object.keys(LEGACY_WEBHOOK_EVENTS) as [string, ...string[]])).min(1).max(20),
    secret: WebhookSecret.optional(),
    broker_id: Uuid.optional(),
  });

async function createSubscription(ctx: ParameterizedContext, input: { url: string; events: WebhookEvent[]; secret?: string; brokerId?: string }) {
  const tenantId = targetTenant(ctx, input.brokerId);
  const principal = principalOf(ctx);
  const secret = input.secret ?? generateWebhookSecret();
  const subscription = requestEm().create(WebhookSubscriptionSchema, {
    tenantId,
    url: input.url,
    events: [...new Set(input.events)],
    secret,
    createdBy: principal.kind === 'user' ? principal.id : null,
  });
  await requestEm().flush();
  ctx.state.audit = { action: 'webhooks.create', resource: 'webhooks', resourceId: subscription.id, tenantId };
  return { subscription, secret };
}

const findSubscription = (id: string): Promise<WebhookSubscription> => findOr404(WebhookSubscriptionSchema, id, 'Webhook');

/**
 * Outbound webhook subscriptions of a broker and their delivery log. The signing secret is
 * returned once, at creation; listings never carry it.
 */
export function webhookRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/webhooks' });
  router.use(requireRole('ADMIN', 'SUPERADMIN'));

  router.get('/', async (ctx) => {
    const { skip, limit } = Paging.parse(ctx.query);
    const [rows, total] = await requestEm().findAndCount(WebhookSubscriptionSchema, {}, { orderBy: { createdAt: 'desc', id: 'asc' }, offset: skip, limit });
    ctx.body = { data: rows.map(presentWebhook), total, skip, limit };
  });

  router.post('/', async (ctx) => {
    const body = webhookCreateSchema(deps.config).parse(ctx.request.body);
    const { subscription, secret } = await createSubscription(ctx, { url: body.url, events: body.events, secret: body.secret, brokerId: body.broker_id });
    ctx.status = 201;
    ctx.body = { ...presentWebhook(subscription), secret };
  });

  router.delete('/:id', async (ctx) => {
    const subscription = await findSubscription(ctx.params.id!);
    ctx.state.audit = { action: 'webhooks.deactivate', resource: 'webhooks', resourceId: subscription.id, tenantId: subscription.tenantId };
    subscription.isActive = false;
    await requestEm().flush();
    ctx.status = 204;
  });

  router.get('/:id/deliveries', async (ctx) => {
    const subscription = await findSubscription(ctx.params.id!);
    const { skip, limit } = Paging.parse(ctx.query);
    const [rows, total] = await requestEm().findAndCount(
      WebhookDeliverySchema,
      { subscriptionId: subscription.id },
      { orderBy: { createdAt: 'desc', id: 'asc' }, offset: skip, limit },
    );
    ctx.body = { data: rows.map(presentWebhookDelivery), total, skip, limit };
  });

  return router;
}

/** Seed 003's registration endpoint, mapped onto the subscriptions above. */
export function legacyWebhookRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/webhook' });
  router.use(requireRole('ADMIN', 'SUPERADMIN'));

  router.post('/', async (ctx) => {
    const body = legacyWebhookCreateSchema(deps.config).parse(ctx.request.body);
    const events = body.events.map((name) => LEGACY_WEBHOOK_EVENTS[name]!);
    const { subscription } = await createSubscription(ctx, { url: body.url, events, secret: body.secret, brokerId: body.broker_id });
    // Seed 003 answers 200, like the rest of that seed's endpoints.
    ctx.status = 200;
    ctx.body = { webhook_id: subscription.id, status: 'active', message: 'Webhook registered successfully' };
  });

  return router;
}

import Koa from 'koa';
import Router from '@koa/router';
import { RequestContext } from '@mikro-orm/core';
import { AppError, NotFoundError } from '../errors';
import type { AppDeps } from './deps';
import { parseBody, utf8Json } from './middleware/body';
import { errorHandler } from './middleware/errors';
import { requestMeta } from './middleware/request-meta';
import { audit } from './middleware/audit';
import { identify } from './middleware/identity';
import { inputGuard } from './middleware/input-guard';
import { rateLimit } from './middleware/rate-limit';
import { apiKeyRoutes } from './routes/api-keys';
import { auditLogRoutes } from './routes/audit-logs';
import { authRoutes } from './routes/auth';
import { brokerAdminRoutes } from './routes/broker';
import { brokerRoutes } from './routes/brokers';
import { docsRoutes } from './routes/docs';
import { leadRoutes } from './routes/leads';
import { clientRoutes } from './routes/clients';
import { pipelineRoutes } from './routes/pipeline';
import { transactionRoutes } from './routes/transactions';
import { healthRoutes } from './routes/health';
import { legacyWebhookRoutes, webhookRoutes } from './routes/webhooks';
import { documentRoutes, searchRoutes } from './routes/documents';
import { adminKnowledgeRoutes, kbRoutes } from './routes/knowledge';
import { propertyRoutes } from './routes/properties';
import { seed000Errors, seed000Routes } from './routes/seed000';
import { seed003Errors, seed003Routes } from './routes/seed003';
import { assistRoutes } from './routes/assist';
import { chatRoutes } from './routes/chat';

export type { AppDeps } from './deps';

/** Every router the app mounts; the OpenAPI test walks the same list. */
export function appRouters(deps: AppDeps) {
  return [healthRoutes(deps), docsRoutes(), authRoutes(deps), brokerRoutes(deps), brokerAdminRoutes(deps), apiKeyRoutes(deps), auditLogRoutes(deps), leadRoutes(deps), clientRoutes(deps), transactionRoutes(deps), pipelineRoutes(deps), webhookRoutes(deps), legacyWebhookRoutes(deps), documentRoutes(deps), searchRoutes(deps), kbRoutes(deps), adminKnowledgeRoutes(deps), propertyRoutes(deps), seed000Routes(deps), chatRoutes(deps), assistRoutes(deps), seed003Routes(deps)];
}

/** Builds the Koa app without listening, so tests drive `app.callback()` directly. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa({ proxy: false });
  app.silent = true; // the error middleware logs; Koa's default handler would print stacks

  app.use(requestMeta());
  app.use(errorHandler(deps.logger, [seed000Errors, seed003Errors]));
  app.use(utf8Json());
  app.use(
    parseBody({
      json: true,
      jsonLimit: deps.config.BODY_JSON_LIMIT,
      jsonStrict: true,
      urlencoded: false,
      text: false,
      multipart: false,
    }),
  );
  app.use(inputGuard());
  app.use((_ctx, next) => RequestContext.create(deps.orm.em, next));
  app.use(audit(deps.orm, deps.logger));
  app.use(identify(deps));
  app.use(rateLimit(deps.orm, { perMinute: deps.config.RATE_LIMIT_PER_MINUTE, authPerMinute: deps.config.AUTH_RATE_LIMIT_PER_MINUTE }));

  // The routers leave a miss as an empty 404, or 405/501 with Allow; give those the error shape.
  app.use(async (ctx, next) => {
    await next();
    if (ctx.body != null) return;
    if (ctx.status === 404) throw new NotFoundError(`No route for ${ctx.method} ${ctx.path}`);
    if (ctx.status === 405 || ctx.status === 501) throw new AppError(405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
  });
  const root = new Router();
  for (const router of appRouters(deps)) root.use(router.routes());
  app.use(root.routes());
  app.use(root.allowedMethods());
  return app;
}

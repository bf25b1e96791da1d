import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { UserSchema } from '../../db/entities';
import type { AppDeps } from '../deps';
import { principalOf, requestEm } from '../middleware/identity';
import { Email, Name, Password } from '../schemas';
import { presentUser } from './presenters';

export const RegisterSchema = z.strictObject({ email: Email, password: Password, broker_name: Name, name: Name.optional() });
export const LoginSchema = z.strictObject({ email: Email, password: z.string().min(1).max(256) });
export const RefreshSchema = z.strictObject({ refresh_token: z.string().min(1).max(512) });

/** Seed 001's /auth/* and seed 002's /api/v1/auth/*. */
export function authRoutes(deps: AppDeps): Router {
  const router = new Router();

  router.post('/auth/register', async (ctx) => {
    const body = RegisterSchema.parse(ctx.request.body);
    const em = requestEm();
    const pair = await deps.auth.register(em, { email: body.email, password: body.password, brokerName: body.broker_name, name: body.name });
    const user = await em.findOneOrFail(UserSchema, { email: body.email }, { filters: false });
    ctx.state.audit = { action: 'auth.register', resource: 'brokers', resourceId: user.tenantId, tenantId: user.tenantId };
    ctx.body = pair;
  });

  const login: Middleware = async (ctx) => {
    const body = LoginSchema.parse(ctx.request.body);
    ctx.state.audit = { action: 'auth.login', resource: 'sessions' };
    ctx.body = await deps.auth.login(requestEm(), body.email, body.password);
  };
  router.post('/auth/login', login);
  router.post('/api/v1/auth/login', login);

  router.post('/api/v1/auth/refresh', async (ctx) => {
    const body = RefreshSchema.parse(ctx.request.body);
    ctx.state.audit = { action: 'auth.refresh', resource: 'sessions' };
    ctx.body = await deps.auth.refresh(requestEm(), body.refresh_token);
  });

  router.post('/api/v1/auth/logout', async (ctx) => {
    const principal = principalOf(ctx);
    ctx.state.audit = { action: 'auth.logout', resource: 'sessions', resourceId: principal.sessionId };
    if (principal.sessionId) await deps.auth.logout(requestEm(), principal.sessionId);
    ctx.status = 204;
  });

  router.get('/auth/me', async (ctx) => {
    const principal = principalOf(ctx);
    if (principal.kind !== 'user') {
      ctx.body = { id: principal.id, kind: 'api_key', role: principal.role, broker_id: principal.tenantId, scopes: principal.scopes };
      return;
    }
    ctx.body = presentUser(await requestEm().findOneOrFail(UserSchema, { id: principal.id }, { filters: false }));
  });

  return router;
}

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type Koa from 'koa';
import type { TestContext } from './context';

export const PASSWORD = 'Seguro123!';

export interface Tenant {
  brokerId: string;
  admin: { id: string; email: string; token: string; refresh: string };
  agent: { id: string; email: string; token: string; refresh: string };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Registers a tenant over HTTP and adds an AGENT, returning both staff with fresh tokens. */
export async function registerTenant(app: Koa, label = 'Inmobiliaria'): Promise<Tenant> {
  const server = app.callback();
  const email = `admin-${randomUUID()}@example.com`;
  const reg = await request(server).post('/auth/register').send({ email, password: PASSWORD, broker_name: `${label} ${randomUUID().slice(0, 6)}` });
  if (reg.status !== 200) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const me = await request(server).get('/auth/me').set(bearer(reg.body.access_token));
  const agentEmail = `agent-${randomUUID()}@example.com`;
  const created = await request(server).post('/api/broker/users').set(bearer(reg.body.access_token)).send({ email: agentEmail, password: PASSWORD, name: 'Agent', role: 'AGENT' });
  if (created.status !== 201) throw new Error(`agent create failed: ${created.status} ${JSON.stringify(created.body)}`);
  const login = await request(server).post('/auth/login').send({ email: agentEmail, password: PASSWORD });
  return {
    brokerId: me.body.broker_id,
    admin: { id: me.body.id, email, token: reg.body.access_token, refresh: reg.body.refresh_token },
    agent: { id: created.body.id, email: agentEmail, token: login.body.access_token, refresh: login.body.refresh_token },
  };
}

/** SUPERADMINs are created by the operator's script, never over HTTP. */
export async function createSuperadmin(ctx: TestContext, app: Koa): Promise<{ id: string; token: string }> {
  const email = `root-${randomUUID()}@example.com`;
  const user = await ctx.auth.createUser(ctx.orm.em.fork(), { tenantId: null, email, password: PASSWORD, name: 'Root', role: 'SUPERADMIN' });
  const login = await request(app.callback()).post('/auth/login').send({ email, password: PASSWORD });
  return { id: user.id, token: login.body.access_token };
}

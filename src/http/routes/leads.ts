import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { FilterQuery } from '@mikro-orm/core';
import { parseBody } from '../middleware/body';
import { z } from 'zod';
import { LEAD_STATUSES, PIPELINE_STAGES } from '../../contracts';
import { CustomerSchema, LeadActivitySchema, UserSchema, type Customer } from '../../db/entities';
import { AppError, ValidationError } from '../../errors';
import { importLeadsCsv } from '../../leads/import';
import { notifyLeadWorkflow } from '../../leads/workflow';
import { presentLead } from '../../leads/present';

export { presentLead };
import { normalizeEmail, normalizePhone, recordLeadChange, rescoreLead, setStage } from '../../leads/service';
import type { AppDeps } from '../deps';
import { findOr404 } from '../lookup';
import { principalOf, requestEm, requireRole } from '../middleware/identity';
import { numeric, Paging, Uuid } from '../schemas';

const Text = (max: number) => z.string().trim().max(max);
const LeadFields = {
  name: Text(200).min(1).nullable().optional(),
  phone: Text(40).min(3).nullable().optional(),
  email: z.email().max(320).nullable().optional(),
  tags: z.array(Text(50).min(1)).max(50).optional(),
  location: Text(200).nullable().optional(),
  budget: Text(100).nullable().optional(),
  property_type: Text(100).nullable().optional(),
  timeline: Text(100).nullable().optional(),
  project_type: Text(100).nullable().optional(),
  requirements_summary: Text(4000).nullable().optional(),
  follow_up_status: z.enum(['pending', 'contacted', 'scheduled', 'done']).optional(),
  notes: Text(4000).nullable().optional(),
  source: z.enum(['manual', 'webchat', 'whatsapp', 'telegram', 'import', 'api', 'voice']).optional(),
};
export const LeadCreateSchema = z.strictObject(LeadFields).refine((b) => b.phone || b.email, { message: 'a phone or an email is required', path: ['phone'] });
export const LeadUpdateSchema = z.strictObject({ ...LeadFields, status: z.enum(LEAD_STATUSES).optional() });
export const LeadListQuerySchema = Paging.extend({
  status: z.enum(LEAD_STATUSES).optional(),
  min_score: numeric(z.number().min(0).max(100).default(0)),
  max_score: numeric(z.number().min(0).max(100).default(100)),
  search: z.string().trim().min(1).max(200).optional(),
  pipeline_stage: z.enum(PIPELINE_STAGES).optional(),
});
export const AssignSchema = z.strictObject({ agent_id: Uuid });
export const StageSchema = z.strictObject({ stage: z.enum(PIPELINE_STAGES) });

/** Seed 001's leads, with seed 003's fields. An AGENT sees only the leads assigned to it. */
export function leadRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/leads' });
  router.use(requireRole('SUPERADMIN', 'ADMIN', 'AGENT'));
  const region = deps.config.DEFAULT_PHONE_REGION;

  router.get('/', async (ctx) => {
    const q = LeadListQuerySchema.parse(ctx.query);
    if (q.min_score > q.max_score) throw new ValidationError('min_score is above max_score', [{ path: 'min_score', message: 'must not exceed max_score' }]);
    const where: FilterQuery<Customer> = {
      ...visibility(ctx),
      leadScore: { $gte: q.min_score, $lte: q.max_score },
      ...(q.status ? { status: q.status } : {}),
      ...(q.pipeline_stage ? { pipelineStage: q.pipeline_stage } : {}),
      ...(q.search ? { $or: searchTerms(q.search, region) } : {}),
    };
    const [rows, total] = await requestEm().findAndCount(CustomerSchema, where, { orderBy: { createdAt: 'desc', id: 'asc' }, offset: q.skip, limit: q.limit });
    ctx.body = { data: rows.map(presentLead), total, skip: q.skip, limit: q.limit };
  });

  router.post('/', async (ctx) => {
    const body = LeadCreateSchema.parse(ctx.request.body);
    const lead = await createLead(deps, ctx, body);
    ctx.state.audit = { action: 'leads.create', resource: 'leads', resourceId: lead.id };
    ctx.status = 201;
    ctx.body = presentLead(lead);
  });

  router.post('/bulk-import', requireRole('SUPERADMIN', 'ADMIN'), parseBody({ multipart: true, json: false, urlencoded: false, formidable: { maxFiles: 1, maxFileSize: deps.config.BULK_IMPORT_MAX_BYTES, allowEmptyFiles: true, minFileSize: 0 } }), async (ctx) => {
    const principal = principalOf(ctx);
    if (!principal.tenantId) throw new ValidationError('A SUPERADMIN imports leads inside a broker; use an ADMIN account');
    const file = ctx.request.files?.file;
    const upload = Array.isArray(file) ? file[0] : file;
    if (!upload) throw new ValidationError('Upload the CSV as the multipart field "file"', [{ path: 'file', message: 'required' }]);
    if (!/\.csv$/i.test(upload.originalFilename ?? '')) throw new AppError(415, 'unsupported_media_type', 'Only .csv files are accepted');
    if (upload.size === 0) throw new ValidationError('The file is empty; send a CSV with a header row', [{ path: 'file', message: 'empty' }]);
    const result = await importLeadsCsv(requestEm(), { tenantId: principal.tenantId, path: upload.filepath, region, actorId: principal.id });
    ctx.state.audit = { action: 'leads.bulk_import', resource: 'leads' };
    ctx.body = result;
  });

  router.get('/:id', async (ctx) => {
    const lead = await findLead(ctx);
    const activities = await requestEm().find(LeadActivitySchema, { customerId: lead.id }, { orderBy: { id: 'desc' }, limit: 10 });
    ctx.body = {
      ...presentLead(lead),
      recent_activities: activities.map((a) => ({ id: a.id, type: a.type, description: a.description, data: a.data, actor_id: a.actorId ?? null, created_at: a.createdAt })),
    };
  });

  const update = async (ctx: ParameterizedContext) => {
    const body = LeadUpdateSchema.parse(ctx.request.body);
    const lead = await findLead(ctx);
    const principal = principalOf(ctx);
    const fields = leadFieldsFrom(body, region);
    const changed = Object.keys(fields).filter((k) => (lead as Record<string, unknown>)[k] !== (fields as Record<string, unknown>)[k]);
    await requestEm().transactional(async (tx) => {
      tx.assign(lead, fields);
      if (body.tags) lead.tags = body.tags;
      if (body.status) lead.status = body.status;
      await tx.flush();
      await rescoreLead(tx, lead);
      await recordLeadChange(tx, lead, { type: 'updated', description: `Updated ${changed.join(', ') || 'nothing'}`, actorId: principal.id, data: { fields: changed } });
    });
    await notifyLeadWorkflow(deps, lead.tenantId, lead.id, { kind: 'manual_edit', actorId: principal.id, event: 'lead.updated' });
    ctx.state.audit = { action: 'leads.update', resource: 'leads', resourceId: lead.id };
    ctx.body = presentLead(lead);
  };
  router.put('/:id', update);
  router.patch('/:id', update);

  router.delete('/:id', async (ctx) => {
    const lead = await findLead(ctx);
    ctx.state.audit = { action: 'leads.delete', resource: 'leads', resourceId: lead.id };
    await deleteLead(deps, ctx, lead);
    ctx.status = 204;
  });

  router.put('/:id/assign', requireRole('SUPERADMIN', 'ADMIN'), async (ctx) => {
    const body = AssignSchema.parse(ctx.request.body);
    const lead = await findLead(ctx);
    // The tenant filter hides other brokers' users, so their agents read as unknown here.
    const agent = await requestEm().findOne(UserSchema, { id: body.agent_id, tenantId: lead.tenantId, isActive: true });
    if (!agent || agent.role === 'SUPERADMIN') throw new ValidationError('agent_id is not an active user of this broker', [{ path: 'agent_id', message: 'unknown agent' }]);
    await requestEm().transactional(async (tx) => {
      lead.assignedAgentId = agent.id;
      await recordLeadChange(tx, lead, { type: 'assigned', description: `Assigned to ${agent.name}`, actorId: principalOf(ctx).id, data: { agent_id: agent.id } });
    });
    await notifyLeadWorkflow(deps, lead.tenantId, lead.id, { kind: 'manual_edit', actorId: principalOf(ctx).id, event: 'lead.updated' });
    ctx.state.audit = { action: 'leads.assign', resource: 'leads', resourceId: lead.id };
    ctx.body = presentLead(lead);
  });

  router.put('/:id/pipeline', async (ctx) => {
    const body = StageSchema.parse(ctx.request.body);
    const lead = await findLead(ctx);
    const from = lead.pipelineStage;
    await requestEm().transactional(async (tx) => {
      setStage(lead, body.stage);
      lead.stageSetManuallyAt = new Date();
      await recordLeadChange(tx, lead, { type: 'stage_changed', description: `Stage ${from} → ${body.stage}`, actorId: principalOf(ctx).id, event: 'lead.stage_changed', data: { from, to: body.stage, manual: true } });
    });
    await notifyLeadWorkflow(deps, lead.tenantId, lead.id, { kind: 'manual_edit', actorId: principalOf(ctx).id, event: 'lead.stage_changed' });
    ctx.state.audit = { action: 'leads.stage', resource: 'leads', resourceId: lead.id };
    ctx.body = presentLead(lead);
  });

  router.post('/:id/recalculate', async (ctx) => {
    const lead = await findLead(ctx);
    let result!: Awaited<ReturnType<typeof rescoreLead>>;
    await requestEm().transactional(async (tx) => {
      result = await rescoreLead(tx, lead);
      await recordLeadChange(tx, lead, {
        type: 'recalculated',
        description: `Score ${result.score}`,
        actorId: principalOf(ctx).id,
        event: result.stageChanged ? 'lead.stage_changed' : 'lead.updated',
        data: { score: result.score, pipeline_stage: lead.pipelineStage },
      });
    });
    ctx.state.audit = { action: 'leads.recalculate', resource: 'leads', resourceId: lead.id };
    ctx.body = { lead_id: lead.id, score: result.score, calificacion: result.qualification, pipeline_stage: lead.pipelineStage, status: lead.status, breakdown: result.breakdown };
  });

  return router;
}

/** Deletes a customer and its activity log. */
export async function deleteLead(deps: AppDeps, ctx: ParameterizedContext, lead: Customer): Promise<void> {
  await requestEm().transactional(async (tx) => {
    await tx.nativeDelete(LeadActivitySchema, { customerId: lead.id });
    await tx.nativeDelete(CustomerSchema, { id: lead.id });
  });
  // The workflow sees the lead gone and ends.
  await notifyLeadWorkflow(deps, lead.tenantId, lead.id, { kind: 'manual_edit', actorId: principalOf(ctx).id });
}

/** Creates, scores and logs a customer; an AGENT's own leads are assigned to it. */
export async function createLead(deps: AppDeps, ctx: ParameterizedContext, body: z.infer<typeof LeadCreateSchema>, extra: { preferences?: Record<string, unknown> } = {}): Promise<Customer> {
  const region = deps.config.DEFAULT_PHONE_REGION;
  const principal = principalOf(ctx);
  const tenantId = principal.tenantId;
  if (!tenantId) throw new ValidationError('A SUPERADMIN creates customers inside a broker; use an ADMIN account');
  return requestEm().transactional(async (tx) => {
    const created = tx.create(CustomerSchema, {
      tenantId,
      ...leadFieldsFrom(body, region),
      tags: body.tags ?? [],
      preferences: { ...extra.preferences },
      source: body.source ?? (principal.kind === 'api_key' ? 'api' : 'manual'),
      assignedAgentId: principal.kind === 'user' && principal.role === 'AGENT' ? principal.id : null,
    });
    await tx.flush();
    await rescoreLead(tx, created);
    await recordLeadChange(tx, created, { type: 'created', description: 'Lead created', actorId: principal.id, event: 'lead.created', data: { source: created.source } });
    return created;
  }).then(async (lead) => {
    await notifyLeadWorkflow(deps, lead.tenantId, lead.id, { kind: 'created', actorId: principal.id, event: 'lead.created' });
    return lead;
  });
}

/** AGENT users see only their assigned leads; everyone else the whole tenant (the filter's job). */
export function visibility(ctx: ParameterizedContext): { assignedAgentId?: string } {
  const principal = principalOf(ctx);
  return principal.kind === 'user' && principal.role === 'AGENT' ? { assignedAgentId: principal.id } : {};
}

const findLead = (ctx: ParameterizedContext): Promise<Customer> => findOr404(CustomerSchema, ctx.params.id, 'Lead', visibility(ctx));

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function searchTerms(search: string, region: string): FilterQuery<Customer>[] {
  const like = `%${escapeLike(search)}%`;
  const terms: FilterQuery<Customer>[] = [{ name: { $ilike: like } }, { email: { $ilike: like } }];
  // Phones are stored as E.164: match the digits typed, or the whole number however it was written.
  const digits = search.replace(/\D/g, '');
  if (digits.length >= 3) terms.push({ phone: { $like: `%${digits}%` } });
  const phone = normalizePhone(search, region);
  if (phone) terms.push({ phone });
  return terms;
}

/** Validated, normalised column values from a create or update body. */
export function leadFieldsFrom(body: Partial<Pick<z.infer<typeof LeadUpdateSchema>, keyof typeof LeadFields>>, region: string): Partial<Customer> {
  const out: Partial<Customer> = {};
  if (body.phone !== undefined) {
    const phone = body.phone === null ? null : normalizePhone(body.phone, region);
    if (body.phone !== null && !phone) throw new ValidationError('Request validation failed', [{ path: 'phone', message: 'not a valid phone number' }]);
    out.phone = phone;
  }
  if (body.email !== undefined) out.email = body.email === null ? null : normalizeEmail(body.email);
  const map = { name: 'name', location: 'location', budget: 'budget', property_type: 'propertyType', timeline: 'timeline', project_type: 'projectType', requirements_summary: 'requirementsSummary', follow_up_status: 'followUpStatus', notes: 'notes', source: 'source' } as const;
  for (const [from, to] of Object.entries(map)) {
    const value = body[from as keyof typeof map];
    if (value !== undefined) (out as Record<string, unknown>)[to] = value;
  }
  return out;
}

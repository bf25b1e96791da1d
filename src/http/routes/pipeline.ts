import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { PIPELINE_STAGES } from '../../contracts';
import { CustomerSchema } from '../../db/entities';
import { ValidationError } from '../../errors';
import { recordLeadChange, rescoreLead } from '../../leads/service';
import type { AppDeps } from '../deps';
import { principalOf, requestEm, requireRole } from '../middleware/identity';
import { presentLead, visibility } from './leads';
import { Instant } from '../schemas';

const PER_STAGE = 50;
/** The stages in order a sale moves through; `perdido` leaves it. */
const SALES_PATH = PIPELINE_STAGES.filter((s) => s !== 'perdido');
/** As a Postgres array literal: the query layer would spread a JS array into separate parameters. */
const SALES_PATH_LITERAL = `{${SALES_PATH.join(',')}}`;
const MetricsQuerySchema = z
  .object({ from: Instant.optional(), to: Instant.optional() })
  .transform((q) => ({ from: q.from ? new Date(q.from) : new Date(Date.now() - 90 * 86_400_000), to: q.to ? new Date(q.to) : new Date() }))
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['from'] });

/**
 * Stage moves are read from lead_activities: how long a lead stayed in a stage is the time from
 * entering it (the previous move, or creation for the first) to leaving it.
 */
const TRANSITIONS_SQL = `
with moves as (
  select a.data->>'from' as from_stage, a.data->>'to' as to_stage, a.created_at,
         coalesce(lag(a.created_at) over (partition by a.customer_id order by a.id), c.created_at) as entered_at
  from lead_activities a join customers c on c.id = a.customer_id
  where a.tenant_id = ? and a.type = 'stage_changed'
)
select from_stage, to_stage, count(*)::int as moves, avg(extract(epoch from created_at - entered_at))::float as avg_seconds
from moves where created_at >= ? and created_at < ?
group by from_stage, to_stage`;

/** The furthest stage along the sales path each lead has reached (a skipped stage counts as passed). */
const FURTHEST_SQL = `
with per_lead as (
  select greatest(array_position(?::text[], c.pipeline_stage::text),
                  max(array_position(?::text[], a.data->>'from')),
                  max(array_position(?::text[], a.data->>'to'))) as furthest
  from customers c
  left join lead_activities a on a.customer_id = c.id and a.type = 'stage_changed'
  where c.tenant_id = ? and c.created_at >= ? and c.created_at < ?
  group by c.id, c.pipeline_stage
)
select furthest, count(*)::int as leads from per_lead where furthest is not null group by furthest`;

/** Seed 001's pipeline: the board, the funnel metrics and the admin's auto-advance trigger. */
export function pipelineRoutes(_deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/pipeline' });
  router.use(requireRole('SUPERADMIN', 'ADMIN', 'AGENT'));

  router.get('/', async (ctx) => {
    tenantOf(ctx);
    const em = requestEm();
    const stages = await Promise.all(
      PIPELINE_STAGES.map(async (stage) => {
        const [leads, count] = await em.findAndCount(CustomerSchema, { ...visibility(ctx), pipelineStage: stage }, { orderBy: { leadScore: 'desc', id: 'asc' }, limit: PER_STAGE });
        return { stage, count, leads: leads.map(presentLead) };
      }),
    );
    ctx.body = { stages, total: stages.reduce((a, s) => a + s.count, 0) };
  });

  router.get('/metrics', async (ctx) => {
    const tenantId = tenantOf(ctx);
    const { from, to } = MetricsQuerySchema.parse(ctx.query);
    const em = requestEm();
    const [funnelRows, moves, reachedRows] = await Promise.all([
      em.execute<Array<{ stage: string; leads: number }>>('select pipeline_stage as stage, count(*)::int as leads from customers where tenant_id = ? and created_at >= ? and created_at < ? group by pipeline_stage', [tenantId, from, to]),
      em.execute<Array<{ from_stage: string; to_stage: string; moves: number; avg_seconds: number }>>(TRANSITIONS_SQL, [tenantId, from, to]),
      em.execute<Array<{ furthest: number; leads: number }>>(FURTHEST_SQL, [SALES_PATH_LITERAL, SALES_PATH_LITERAL, SALES_PATH_LITERAL, tenantId, from, to]),
    ]);
    const count = (rows: Array<{ stage: string; leads: number }>, stage: string) => rows.find((r) => r.stage === stage)?.leads ?? 0;
    // Reached a stage: got at least that far along the sales path (lost leads count up to where they were).
    const reached = (stage: string) => {
      const position = SALES_PATH.indexOf(stage as (typeof SALES_PATH)[number]) + 1;
      return position === 0 ? count(funnelRows, stage) : reachedRows.filter((r) => r.furthest >= position).reduce((a, r) => a + r.leads, 0);
    };
    const linear = SALES_PATH;
    ctx.body = {
      from,
      to,
      funnel: PIPELINE_STAGES.map((stage) => ({ stage, leads: count(funnelRows, stage), reached: reached(stage) })),
      conversion: linear.slice(0, -1).map((stage, i) => {
        const next = linear[i + 1]!;
        return { from: stage, to: next, rate: reached(stage) ? Math.round((reached(next) / reached(stage)) * 1000) / 1000 : null };
      }),
      transitions: moves.map((m) => ({ from: m.from_stage, to: m.to_stage, moves: m.moves })),
      avg_time_in_stage_hours: PIPELINE_STAGES.map((stage) => {
        const leaving = moves.filter((m) => m.from_stage === stage);
        const n = leaving.reduce((a, m) => a + m.moves, 0);
        const seconds = n ? leaving.reduce((a, m) => a + m.avg_seconds * m.moves, 0) / n : null;
        return { stage, hours: seconds === null ? null : Math.round((seconds / 3600) * 100) / 100, moves: n };
      }),
    };
  });

  /** Re-runs scoring and the advance rules over the broker's open leads, in batches. */
  router.post('/auto-advance', requireRole('SUPERADMIN', 'ADMIN'), async (ctx) => {
    const tenantId = tenantOf(ctx);
    const principal = principalOf(ctx);
    let checked = 0;
    let advanced = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const batch = await requestEm().find(CustomerSchema, { tenantId, id: { $gt: after }, stageSetManuallyAt: null, pipelineStage: { $in: ['entrada', 'perfilamiento'] } }, { orderBy: { id: 'asc' }, limit: 200 });
      if (batch.length === 0) break;
      await requestEm().transactional(async (tx) => {
        for (const lead of batch) {
          const result = await rescoreLead(tx, lead);
          checked++;
          if (result.stageChanged) {
            advanced++;
            await recordLeadChange(tx, lead, { type: 'auto_advanced', description: `Advanced to ${lead.pipelineStage}`, actorId: principal.id, event: 'lead.stage_changed', data: { pipeline_stage: lead.pipelineStage } });
          }
        }
      });
      after = batch[batch.length - 1]!.id;
      requestEm().clear();
    }
    ctx.state.audit = { action: 'pipeline.auto_advance', resource: 'pipeline' };
    ctx.body = { checked, advanced };
  });

  return router;
}

function tenantOf(ctx: ParameterizedContext): string {
  const tenantId = principalOf(ctx).tenantId;
  if (!tenantId) throw new ValidationError('The pipeline belongs to a broker; use an account of that broker');
  return tenantId;
}

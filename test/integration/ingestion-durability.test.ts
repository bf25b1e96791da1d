import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { aliasName } from '../../src/search/indices';
import { createTestContext, type TestContext } from '../support/context';
import { bearer, registerTenant, type Tenant } from '../support/identity';
import { LISTING_HEADER, listingRow } from '../support/listings';
import { maybeCaptureHistory } from '../support/histories';
import { spawnEntry, waitForOutput, type Spawned } from '../support/processes';

const ROWS = 10_000;
const INVALID_EVERY = 500;

describe('document ingestion survives a worker killed mid-file', () => {
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;
  const spawned: Spawned[] = [];
  const env = () => ({ TEMPORAL_TASK_QUEUE: ctx.temporal.taskQueue, INGEST_BATCH_SIZE: '250' });

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000, RATE_LIMIT_PER_MINUTE: 100_000, INGEST_SYNC_MAX_BYTES: 1000 });
    app = createApp(ctx);
    t = await registerTenant(app);
  });
  afterAll(async () => {
    for (const p of spawned) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await ctx.close();
  });

  it('resumes from the last heartbeat: every valid row stored and indexed exactly once', async () => {
    const lines = [LISTING_HEADER];
    for (let i = 1; i <= ROWS; i++) lines.push(i % INVALID_EVERY === 0 ? `K${i},${i} Main St,1,1,-5,10,,,,,Austin,office,negative size` : listingRow(i, 'K'));
    const valid = ROWS - ROWS / INVALID_EVERY;

    const first = spawnEntry('worker/main.ts', env());
    spawned.push(first);
    await waitForOutput(first, /worker polling/);
    const res = await request(app.callback()).post('/api/v1/documents/upload').set(bearer(t.admin.token)).attach('file', Buffer.from(`${lines.join('\n')}\n`), 'ten-thousand.csv');
    expect(res.status).toBe(202);
    const { document_id: documentId, workflow_id: workflowId } = res.body.processed_files[0];

    // Kill once the server has recorded a heartbeat (the position to resume from) and the rest of
    // the file is still to do.
    const handle = ctx.temporal.client.workflow.getHandle(workflowId);
    let recorded = false;
    for (let i = 0; i < 1200 && !recorded; i++) {
      const pendingNow = (await handle.describe()).raw.pendingActivities ?? [];
      recorded = (pendingNow[0]?.heartbeatDetails?.payloads?.length ?? 0) > 0;
      if (!recorded) await new Promise((r) => setTimeout(r, 25));
    }
    expect(recorded).toBe(true);
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = new Date();
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    expect(pending).toHaveLength(1);
    const stored = Number((await ctx.sql<{ n: number }>('select count(*)::int as n from properties where tenant_id = ?', [t.brokerId]))[0]!.n);
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(valid);

    const second = spawnEntry('worker/main.ts', env());
    spawned.push(second);
    const result = await handle.result();
    expect(result).toMatchObject({ kind: 'listings', recordsInserted: valid, rejectedRecords: ROWS / INVALID_EVERY, indexed: valid });

    const rows = await ctx.sql<{ n: number; keys: number; before: number }>(
      'select count(*)::int as n, count(distinct external_id)::int as keys, count(*) filter (where updated_at < ?)::int as before from properties where tenant_id = ?',
      [killedAt, t.brokerId],
    );
    expect(rows[0]!.n).toBe(valid);
    expect(rows[0]!.keys).toBe(valid);
    // The retry resumed after the rows the first attempt had written: those were not rewritten.
    expect(rows[0]!.before).toBeGreaterThan(0);
    const alias = aliasName(ctx.config.ELASTICSEARCH_INDEX_PREFIX, 'properties', t.brokerId);
    await ctx.es.indices.refresh({ index: alias });
    expect((await ctx.es.count({ index: alias })).count).toBe(valid);
    await maybeCaptureHistory(handle, 'document-ingestion-worker-killed');
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    const doc = (await ctx.sql<{ status: string; rejected_records: number }>('select status, rejected_records from documents where id = ?', [documentId]))[0]!;
    expect(doc).toEqual({ status: 'completed', rejected_records: ROWS / INVALID_EVERY });
    // Two worker starts, a heartbeat timeout and 10,000 rows: minutes on a loaded two-core machine.
  }, 300_000);
});

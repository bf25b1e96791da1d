import fs from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { Connection } from '@temporalio/client';
import { loadDotEnv } from '../../src/env';
import { loadConfig } from '../../src/config';
import { initOrm, migrateUp } from '../../src/db/orm';
import { buildWorkflowBundle } from '../../worker/bundle';
import { testDatabaseUrl, testIndexPrefix, WORKFLOW_BUNDLE_FILE } from './paths';

const HOW_TO_START = 'Start the local stack with `npm run stack -- up` (npm test does this first), or point DATABASE_URL, TEMPORAL_ADDRESS and ELASTICSEARCH_URL at running services.';

async function must<T>(service: string, address: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Error(`${service} at ${address} is not reachable (${err instanceof Error ? err.message : String(err)}).\n${HOW_TO_START}`);
  }
}

/** Once per `jest` run: services answer, a fresh migrated test database, one workflow bundle. */
export default async function globalSetup(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const testUrl = new URL(testDatabaseUrl());
  const testDb = decodeURIComponent(testUrl.pathname.slice(1));
  const adminUrl = new URL(testUrl);
  adminUrl.pathname = '/postgres';

  await must('Postgres', `${testUrl.host}`, async () => {
    const admin = new PgClient({ connectionString: adminUrl.toString(), connectionTimeoutMillis: 3000 });
    await admin.connect();
    try {
      await admin.query(`drop database if exists "${testDb}" with (force)`);
      await admin.query(`create database "${testDb}"`);
    } finally {
      await admin.end();
    }
  });
  await must('Temporal', config.TEMPORAL_ADDRESS, async () => {
    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 3000 });
    await connection.workflowService.getSystemInfo({});
    await connection.close();
  });
  await must('Elasticsearch', config.ELASTICSEARCH_URL, async () => {
    const res = await fetch(new URL('/_cluster/health', config.ELASTICSEARCH_URL), { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    // The indices derive from the database just recreated: start them empty too.
    const listed = await fetch(new URL(`/_cat/indices/${testIndexPrefix()}-*?format=json&h=index&expand_wildcards=all`, config.ELASTICSEARCH_URL));
    const names = ((await listed.json()) as Array<{ index: string }>).map((i) => i.index);
    if (names.length > 0) {
      const drop = await fetch(new URL(`/${names.join(',')}`, config.ELASTICSEARCH_URL), { method: 'DELETE' });
      if (!drop.ok) throw new Error(`deleting old test indices: HTTP ${drop.status} ${await drop.text()}`);
    }
  });

  const orm = await initOrm({ ...config, DATABASE_URL: testUrl.toString() });
  try {
    await migrateUp(orm);
  } finally {
    await orm.close(true);
  }

  const bundle = await buildWorkflowBundle();
  fs.mkdirSync(path.dirname(WORKFLOW_BUNDLE_FILE), { recursive: true });
  fs.writeFileSync(WORKFLOW_BUNDLE_FILE, bundle.code);
}

import { Client as PgClient } from 'pg';
import { loadConfig, type Config } from '../src/config';
import { initOrm, migrateUp, type Orm } from '../src/db/orm';

/** Benchmarks write to `<database>_bench`, created and migrated on demand, never the dev data. */
export async function benchEnvironment(): Promise<{ config: Config; orm: Orm }> {
  const base = loadConfig();
  const url = new URL(base.DATABASE_URL);
  const name = `${decodeURIComponent(url.pathname.slice(1))}_bench`;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new PgClient({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  url.pathname = `/${name}`;
  const config = loadConfig({ ...process.env, DATABASE_URL: url.toString(), ELASTICSEARCH_INDEX_PREFIX: `${base.ELASTICSEARCH_INDEX_PREFIX}_bench` });
  const orm = await initOrm(config);
  await migrateUp(orm);
  return { config, orm };
}

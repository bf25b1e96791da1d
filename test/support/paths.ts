import path from 'node:path';
import { loadConfig } from '../../src/config';

export const ROOT = path.resolve(__dirname, '..', '..');
export const WORKFLOW_BUNDLE_FILE = path.join(ROOT, '.stack', 'cache', 'workflow-bundle.js');

/** Tests never touch the development database: they use `<name>_test` on the same server. */
export function testDatabaseUrl(): string {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  const url = new URL(loadConfig({ ...process.env, DATABASE_URL: process.env.DATABASE_URL }).DATABASE_URL);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name.endsWith('_test')) url.pathname = `/${name}_test`;
  return url.toString();
}

/** Search indices follow the test database, so concurrent runners on other databases never collide. */
export function testIndexPrefix(): string {
  const name = decodeURIComponent(new URL(testDatabaseUrl()).pathname.slice(1));
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
}

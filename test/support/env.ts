/**
 * Runs in every jest worker before the tests: point the code at the test database and the bundle
 * built once by global-setup.
 */
import { testDatabaseUrl, testIndexPrefix, WORKFLOW_BUNDLE_FILE } from './paths';
import { loadDotEnv } from '../../src/env';

loadDotEnv();
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL ??= 'silent';
process.env.DATABASE_URL = testDatabaseUrl();
process.env.WORKFLOW_BUNDLE_PATH = WORKFLOW_BUNDLE_FILE;
process.env.ELASTICSEARCH_INDEX_PREFIX = testIndexPrefix();

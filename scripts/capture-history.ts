/**
 * Saves a finished workflow's event history as a replay fixture:
 *
 *   npm run capture-history -- <workflowId> [fileName]
 *
 * The file lands in test/replay/histories/ and is picked up by the replay suite.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { loadConfig } from '../src/config';
import { loadDotEnv } from '../src/env';
import { exitOnStartupError } from '../src/startup';

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'test', 'replay', 'histories');

async function main(): Promise<void> {
  loadDotEnv();
  const [workflowId, fileName] = process.argv.slice(2);
  if (!workflowId) {
    console.error('usage: npm run capture-history -- <workflowId> [fileName]');
    process.exit(2);
  }
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const handle = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }).workflow.getHandle(workflowId);
    const description = await handle.describe();
    if (description.status.name === 'RUNNING') throw new Error(`${workflowId} is still running; capture it once it has finished`);
    const history = await handle.fetchHistory();
    // Named after the workflow's file (kebab-case), so each workflow's fixtures are easy to find.
    const kebabType = description.type.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const name = fileName ?? `${kebabType}-${workflowId.replace(/[^\w.-]+/g, '_')}`;
    const file = path.join(HISTORIES_DIR, `${name.replace(/\.json$/, '')}.json`);
    fs.mkdirSync(HISTORIES_DIR, { recursive: true });
    fs.writeFileSync(file, historyToJSON(history));
    console.log(`wrote ${path.relative(process.cwd(), file)} (${history.events?.length ?? 0} events, workflow type ${description.type})`);
  } finally {
    await connection.close();
  }
}

main().catch(exitOnStartupError('capture-history'));

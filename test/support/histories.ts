import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

/**
 * With CAPTURE_HISTORIES=1, saves a finished workflow's history as a replay fixture; the replay
 * suite then checks the code still replays it. Off by default, so test runs write nothing.
 */
export async function maybeCaptureHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.CAPTURE_HISTORIES !== '1') return;
  const file = path.join(__dirname, '..', 'replay', 'histories', `${name}.json`);
  fs.writeFileSync(file, historyToJSON(await handle.fetchHistory()));
}

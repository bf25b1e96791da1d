/**
 * The chat benchmark's baseline, bundled only by the benchmark: a workflow whose update handler
 * answers at once, so an update round trip costs the Temporal server and worker and nothing else.
 * It runs until the benchmark terminates it, as a chat session runs until it idles out.
 */
import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

export const pingUpdate = defineUpdate<string, [string]>('ping');

export async function noopUpdate(): Promise<void> {
  setHandler(pingUpdate, (messageId) => messageId);
  await condition(() => false);
}

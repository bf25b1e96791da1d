import fs from 'node:fs';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from '../src/logger';

export const workflowsPath = require.resolve('../workflows');

/** Bundles the workflow code; one bundle serves every Worker a process creates. */
export async function buildWorkflowBundle(): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
}

/** A prebuilt bundle when WORKFLOW_BUNDLE_PATH names one (production, tests), else bundled now. */
export async function loadWorkflowBundle(bundlePath: string | undefined, logger: Logger): Promise<WorkflowBundleOption> {
  if (bundlePath && fs.existsSync(bundlePath)) return { codePath: bundlePath };
  const started = Date.now();
  const bundle = await buildWorkflowBundle();
  logger.info({ ms: Date.now() - started }, 'workflow bundle built');
  return bundle;
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

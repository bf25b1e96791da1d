import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import * as workflows from '../../workflows';
import { WORKFLOW_BUNDLE_FILE } from '../support/paths';

const HISTORIES = path.join(__dirname, 'histories');

const histories = fs
  .readdirSync(HISTORIES)
  .filter((f) => f.endsWith('.json'))
  .map((file) => {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
    const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '';
    return { file, history, type };
  });

describe('replay of committed histories', () => {
  it('has a history for every workflow the worker registers', () => {
    const covered = new Set(histories.map((h) => h.type));
    expect(Object.keys(workflows).filter((name) => !covered.has(name))).toEqual([]);
  });

  it.each(histories.map((h) => [h.file, h]))('replays %s against the current code', async (_file, { history, file }) => {
    // The bundle global-setup built from workflows/, shared by every suite in the run.
    await Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE_FILE } }, history, file);
  });

  it('fails when workflow code changes the order of its commands', async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/reordered-health-probe'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
    const probe = histories.find((h) => h.type === 'healthProbe')!;
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, probe.history, probe.file)).rejects.toThrow(/[Nn]ondetermin|DeterminismViolation/);
  });
});

import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { mapTurnError } from '../../../src/chat/service';

describe('turn failures as HTTP', () => {
  const failedWith = (type: string) => new WorkflowUpdateFailedError('update failed', ApplicationFailure.nonRetryable('x', type));

  it('says a session deleted while its message was on the way is gone (404), not "try again"', () => {
    expect(mapTurnError(failedWith('session_not_found'))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('keeps the other outcomes: closed 409, refused by the model 502, anything else in the update 409', () => {
    expect(mapTurnError(failedWith('session_closed'))).toMatchObject({ status: 409, code: 'session_resolved' });
    expect(mapTurnError(failedWith('llm_bad_request'))).toMatchObject({ status: 502, code: 'llm_error' });
    expect(mapTurnError(new WorkflowUpdateFailedError('update failed', new Error('other')))).toMatchObject({ status: 409, code: 'conflict' });
  });
});

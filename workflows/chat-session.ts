import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import type { Activities } from '../activities';
import {
  agentReplySignal,
  chatStateQuery,
  endSessionSignal,
  handoffSignal,
  releaseToBotSignal,
  resolveSignal,
  sendMessageUpdate,
  type ChatReply,
  type ChatSessionInput,
  type ChatSessionState,
  type SendMessageInput,
} from '../src/contracts/chat';

const { completeTurn, recordAgentReply, setSessionStatus } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});
// Preparing a turn includes the extraction call to the model, bounded by LLM_TIMEOUT_MS (≤ 59 s).
const { beginTurn } = proxyActivities<Activities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});
// The model call: LLM_TIMEOUT_MS stays below this, so a hung request fails in the provider first.
// It heartbeats while it runs, so a worker that dies mid-reply is retried within the heartbeat
// timeout rather than after the whole minute, while the customer is waiting.
const { generateReply } = proxyActivities<Activities>({
  startToCloseTimeout: '60s',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['llm_invalid_request'] },
});

const RECENT_REPLIES = 50;

/**
 * One per conversation. Each customer message is an Update that returns the reply; they are
 * handled one at a time in arrival order, so a session's turns never interleave. Resolve,
 * handoff, agent replies and release-to-bot are signals. A quiet session closes after the idle
 * timeout; long sessions continue as new with their recent replies carried over.
 */
export async function chatSession(input: ChatSessionInput, carried?: ChatSessionState): Promise<ChatSessionState> {
  const state: ChatSessionState = carried ?? { status: input.initialStatus ?? 'active', turns: 0, recent: [] };
  const recent = new Map(state.recent);
  let runTurns = 0;
  let busy = false;
  let lastActivity = 0;
  let ended: 'resolved' | 'deleted' | null = null;
  const agentReplies: Array<Parameters<typeof recordAgentReply>[0]> = [];
  const statusChanges: Array<{ status: 'active' | 'handoff'; actorId: string | null; reason?: string }> = [];
  // Turns and status changes queue for this lock in arrival order. Waiting on `condition(() => !busy)`
  // let every waiter through at once when a turn ended, so messages that arrived together ran their
  // turns side by side (patched: runs recorded before keep that behaviour on replay).
  const turnLock = new Mutex();
  const serialTurns = patched('serial-turns');

  setHandler(chatStateQuery, () => ({ ...state, recent: [...recent] }));

  /** One turn. Callers let one run at a time; `busy` tells the session loop a turn is running. */
  const takeTurn = async (msg: SendMessageInput): Promise<ChatReply> => {
    // A copy of this message may have been answered while this one waited.
    const again = recent.get(msg.messageId);
    if (again) return again;
    busy = true;
    try {
      lastActivity += 1;
      const base = { tenantId: input.tenantId, sessionId: input.sessionId, leadId: input.leadId, messageId: msg.messageId, channel: msg.channel ?? input.channel };
      const context = await beginTurn({ ...base, text: msg.text, humanHasIt: state.status === 'handoff' });
      if (context.wantsHuman && state.status === 'active') state.status = 'handoff';
      const generated = context.humanHasIt ? null : await generateReply({ ...base, text: msg.text, context });
      const reply = await completeTurn({ ...base, context, generated, sessionStatus: state.status });
      recent.set(msg.messageId, reply);
      while (recent.size > RECENT_REPLIES) recent.delete(recent.keys().next().value!);
      state.turns += 1;
      runTurns += 1;
      return reply;
    } finally {
      busy = false;
      // The idle clock counts from the end of the last reply, not from when the message arrived
      // (patched: runs recorded before this change restarted it only on arrival).
      if (patched('idle-from-reply-end')) lastActivity += 1;
    }
  };

  setHandler(
    sendMessageUpdate,
    async (msg: SendMessageInput): Promise<ChatReply> => {
      const seen = recent.get(msg.messageId);
      if (seen) return seen;
      if (serialTurns) return turnLock.runExclusive(() => takeTurn(msg));
      await condition(() => !busy);
      return takeTurn(msg);
    },
    {
      validator: (msg: SendMessageInput) => {
        // Rejected updates leave no trace in history; the API checks the same before sending.
        if (ended || state.status === 'resolved' || state.status === 'closed') {
          throw ApplicationFailure.nonRetryable('This session is closed; start a new one', 'session_closed');
        }
        if (!msg.messageId || typeof msg.text !== 'string' || msg.text.trim() === '') throw new Error('messageId and text are required');
      },
    },
  );

  setHandler(resolveSignal, () => {
    ended = 'resolved';
  });
  setHandler(endSessionSignal, () => {
    ended = 'deleted';
  });
  setHandler(handoffSignal, ({ actorId, reason }) => {
    statusChanges.push({ status: 'handoff', actorId, reason });
  });
  setHandler(releaseToBotSignal, ({ actorId }) => {
    statusChanges.push({ status: 'active', actorId });
  });
  setHandler(agentReplySignal, (reply) => {
    agentReplies.push({ tenantId: input.tenantId, sessionId: input.sessionId, leadId: input.leadId, ...reply });
  });

  /** Signals received and not yet handled. */
  const pending = () => ended !== null || agentReplies.length > 0 || statusChanges.length > 0;
  const dueToContinue = () => runTurns >= input.maxTurnsPerRun || workflowInfo().continueAsNewSuggested;
  for (;;) {
    const seenActivity = lastActivity;
    // Due to continue only between turns: waking for it while a turn runs would spin this loop.
    const woke = await condition(() => pending() || lastActivity !== seenActivity || (dueToContinue() && !busy), input.idleTimeoutMs);
    // A signal that landed with the timer is handled first; the session is idle only without one.
    if (!woke && !busy && !pending()) {
      const before = state.status;
      state.status = 'closed';
      await condition(allHandlersFinished);
      // A handed-off session stays with its person: the record keeps 'handoff', and the next
      // message's run starts from it.
      const keepsHandoff = before === 'handoff' && patched('idle-keeps-handoff');
      if (!keepsHandoff) await setSessionStatus({ tenantId: input.tenantId, sessionId: input.sessionId, status: 'closed', actorId: null });
      if (!pending()) return { ...state, recent: [...recent] };
      // A signal arrived while closing: the session stays open to handle it, and its record and
      // listeners are told it is open again.
      state.status = before;
      if (!keepsHandoff) await setSessionStatus({ tenantId: input.tenantId, sessionId: input.sessionId, status: before, actorId: null });
    }
    while (statusChanges.length > 0 && !ended) {
      const change = statusChanges.shift()!;
      const apply = async () => {
        state.status = change.status;
        await setSessionStatus({ tenantId: input.tenantId, sessionId: input.sessionId, status: change.status, actorId: change.actorId, reason: change.reason });
      };
      if (serialTurns) await turnLock.runExclusive(apply);
      else {
        await condition(() => !busy);
        await apply();
      }
    }
    while (agentReplies.length > 0) {
      await recordAgentReply(agentReplies.shift()!);
    }
    if (ended) {
      state.status = 'resolved';
      await condition(() => !busy && allHandlersFinished());
      if (ended === 'resolved') await setSessionStatus({ tenantId: input.tenantId, sessionId: input.sessionId, status: 'resolved', actorId: null });
      return { ...state, recent: [...recent] };
    }
    if (dueToContinue() && !busy) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof chatSession>(input, { ...state, recent: [...recent] });
    }
  }
}

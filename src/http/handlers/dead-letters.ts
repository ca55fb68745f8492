import { ProblemError } from '../problem';
import { DeadLetterOutOfReachError } from '../../ports/dead-letters';
import {
  DeadLettersQuery,
  DeadLetterView,
  DiscardedView,
  MessageIdParam,
  ResubmittedView,
} from '../dead-letter-schemas';
import { baseUrl, queryObject, validate } from '../request';
import type { ApiRequest, RouteDef } from '../route-types';
import { PageOf, Problem } from '../schemas';
import { json, pageLinks } from './respond';

/**
 * Failed commands, for operators. Not under `admin/`: the Functions host reserves routes starting with
 * `admin` for its own API and refuses such functions (https://github.com/Azure/azure-functions-host/issues/1781).
 * The `admin` auth level asks for the host's master key on Azure, the API key on one machine.
 */
const unavailable = {
  description: 'The queue is unavailable; retry after Retry-After',
  schema: Problem,
  headers: ['Retry-After'],
};

export const listDeadLetters: RouteDef = {
  name: 'listDeadLetters',
  route: 'ops/dead-letters',
  method: 'GET',
  authLevel: 'admin',
  doc: {
    summary: 'Dead-lettered commands, oldest first, paged (item, command, ids, reason, delivery count, when)',
    query: DeadLettersQuery,
    responses: {
      200: { description: 'A page of dead letters', schema: PageOf(DeadLetterView) },
      400: { description: 'Invalid query', schema: Problem },
      503: unavailable,
    },
  },
  async handle(request, _context, services) {
    const query = validate(DeadLettersQuery, queryObject(request), '');
    const limit = query.limit ?? 50;
    const page = await services.deadLetters.list({
      limit,
      ...(query.continuation !== undefined ? { continuation: query.continuation } : {}),
    });
    const next = pageLinks(
      `${baseUrl(request)}/api/ops/dead-letters`,
      { limit: query.limit?.toString() },
      page.continuation,
    );
    return json(200, { ...page, next }, { 'cache-control': 'no-store' });
  },
};

export const resubmitDeadLetter: RouteDef = {
  name: 'resubmitDeadLetter',
  route: 'ops/dead-letters/{messageId}/resubmit',
  method: 'POST',
  authLevel: 'admin',
  doc: {
    summary:
      'Sends a dead-lettered command back into its session (same command id: one already applied is absorbed as a duplicate) and removes it from the dead letters; its status answers pending again',
    responses: {
      200: { description: 'Resubmitted', schema: ResubmittedView },
      400: { description: 'Invalid message id', schema: Problem },
      404: { description: 'No dead letter has this message id', schema: Problem },
      409: {
        description: 'Its body is not a command of its session: it would only fail again',
        schema: Problem,
      },
      503: unavailable,
    },
  },
  async handle(request, _context, services) {
    const messageId = messageIdOf(request);
    const result = await outOfReachIsConflict(services.deadLetters.resubmit(messageId));
    switch (result.kind) {
      case 'resubmitted':
        return json(200, {
          status: 'resubmitted',
          messageId,
          resubmittedAs: result.resubmittedAs,
          sessionId: result.sessionId,
        });
      case 'not-found':
        throw notFound(messageId);
      case 'not-a-command':
        throw new ProblemError(
          409,
          'not-a-command',
          'Conflict',
          `dead letter ${messageId} is not a command of its session (${result.reason}: ${result.description}); resubmitting it would only dead-letter it again`,
        );
    }
  },
};

export const discardDeadLetter: RouteDef = {
  name: 'discardDeadLetter',
  route: 'ops/dead-letters/{messageId}/discard',
  method: 'POST',
  authLevel: 'admin',
  doc: {
    summary:
      'Removes a dead letter for good (poison, or a command that must not be applied): its status keeps answering failed',
    responses: {
      200: { description: 'Discarded', schema: DiscardedView },
      400: { description: 'Invalid message id', schema: Problem },
      404: { description: 'No dead letter has this message id', schema: Problem },
      409: { description: 'It lies behind too many older dead letters', schema: Problem },
      503: unavailable,
    },
  },
  async handle(request, _context, services) {
    const messageId = messageIdOf(request);
    const result = await outOfReachIsConflict(services.deadLetters.discard(messageId));
    if (result === 'not-found') throw notFound(messageId);
    return json(200, { status: 'discarded', messageId });
  },
};

function notFound(messageId: string): ProblemError {
  return new ProblemError(404, 'not-found', 'Not found', `no dead letter has message id ${messageId}`);
}

/** A letter the queue cannot reach now is the operator's to clear first: 409, not a retryable 503. */
async function outOfReachIsConflict<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof DeadLetterOutOfReachError) {
      throw new ProblemError(409, 'dead-letter-out-of-reach', 'Conflict', error.message);
    }
    throw error;
  }
}

function messageIdOf(request: ApiRequest): string {
  return validate(MessageIdParam, request.params.messageId, 'messageId');
}

import type { Plugin } from 'graphql-yoga';
import type { GraphQLError } from 'graphql';
import { amtsError } from '../../../common/errors';
import type { GatewayContext } from '../context';

export interface RequestDeadlineOptions {
  /** Total time one GraphQL request may take, in ms (config `limits.requestDeadlineMs`). */
  deadlineMs: number;
}

/** The reason a deadline-aborted signal carries (AbortSignal.reason). */
export class RequestDeadlineExceeded extends Error {
  override readonly name = 'RequestDeadlineExceeded';
  constructor(readonly deadlineMs: number) {
    super(`request deadline of ${deadlineMs} ms exceeded`);
  }
}

/** The client-visible error of a request that ran past its deadline. */
export function requestTimeoutError(deadlineMs: number): GraphQLError {
  return amtsError('REQUEST_TIMEOUT', `The request did not complete within ${deadlineMs} ms; it was cancelled.`, { deadlineMs });
}

/**
 * A deadline per GraphQL request. Contract:
 * - the clock starts when the request's context is built (before parsing; the limits that
 *   run earlier are cheap) and is stopped when the response is sent;
 * - when it passes, `context.signal` (GatewayContext) is aborted with a
 *   `RequestDeadlineExceeded` reason. The execution plugin (use-execution-engine.ts) then
 *   answers at once with REQUEST_TIMEOUT (data null), and the subgraph client
 *   (engine/subgraph-data-source.ts) cancels every fetch of this request still in flight —
 *   which closes those connections, so the subgraphs stop working for a client that is gone.
 * State: one controller and timer per request in a WeakMap; timers are unref'd and cleared on
 * response, so nothing outlives a request.
 */
export function useRequestDeadline(options: RequestDeadlineOptions): Plugin<GatewayContext> {
  const { deadlineMs } = options;
  if (!Number.isInteger(deadlineMs) || deadlineMs < 1) {
    throw new Error(`useRequestDeadline: deadlineMs must be a positive whole number of milliseconds; received ${String(deadlineMs)}`);
  }
  const deadlines = new WeakMap<Request, { controller: AbortController; timer: NodeJS.Timeout }>();
  return {
    onContextBuilding({ context, extendContext }) {
      const request = context.request;
      let entry = deadlines.get(request);
      if (!entry) {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(new RequestDeadlineExceeded(deadlineMs)), deadlineMs);
        timer.unref();
        entry = { controller, timer };
        deadlines.set(request, entry);
      }
      extendContext({ signal: entry.controller.signal } as Partial<GatewayContext>);
    },
    onResponse({ request }) {
      const entry = deadlines.get(request);
      if (!entry) return;
      clearTimeout(entry.timer);
      deadlines.delete(request);
    },
  };
}

import { getDocumentString, type Plugin } from '@envelop/core';
import { getOperationAST, getVariableValues, GraphQLError, print, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { GatewayContext } from '../context';
import type { ExecutionEngine } from '../engine/types';
import { RequestDeadlineExceeded, requestTimeoutError } from './use-request-deadline';

/**
 * Hands execution to the engine (query planning + subgraph fetches) and keeps Yoga's schema
 * in step with the engine's supergraph, so a hot reload changes validation and execution
 * together. In-flight requests finish on the plan they started with.
 * When the request's deadline passes (`context.signal`, use-request-deadline.ts) the
 * execution is answered at once with REQUEST_TIMEOUT and data null; the engine's fetches
 * are cancelled through the same signal and their late results are dropped.
 */
export function useExecutionEngine(engine: ExecutionEngine, initialSchema: GraphQLSchema): Plugin<GatewayContext> {
  return {
    onPluginInit({ setSchema }) {
      setSchema(initialSchema);
      engine.onSchemaChange((schema) => setSchema(schema));
    },
    onExecute({ setExecuteFn }) {
      setExecuteFn((executeArgs) => {
        // The engine trusts its input: coerce variables here, so a wrong type or a missing
        // required variable is a request error (BAD_USER_INPUT, HTTP 400), not a crash.
        const operation = getOperationAST(executeArgs.document, executeArgs.operationName ?? undefined);
        if (operation) {
          const coerced = getVariableValues(
            executeArgs.schema,
            operation.variableDefinitions ?? [],
            (executeArgs.variableValues as Record<string, unknown> | undefined) ?? {},
            { maxErrors: 20 },
          );
          if (coerced.errors) {
            return {
              errors: coerced.errors.map(
                (e) =>
                  new GraphQLError(e.message, {
                    nodes: e.nodes,
                    extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
                  }),
              ),
            };
          }
        }
        const context = executeArgs.contextValue as GatewayContext;
        const execution = engine.execute({
          document: executeArgs.document,
          source: getDocumentString(executeArgs.document, print),
          operationName: executeArgs.operationName ?? null,
          variables: (executeArgs.variableValues as Record<string, unknown> | undefined) ?? null,
          context,
        }) as Promise<ExecutionResult>;
        return context.signal ? raceDeadline(execution, context.signal) : execution;
      });
    },
  };
}

/** The execution's result, or REQUEST_TIMEOUT (data null) as soon as `signal` aborts. */
function raceDeadline(execution: Promise<ExecutionResult>, signal: AbortSignal): Promise<ExecutionResult> {
  const timedOut = (): ExecutionResult => {
    const reason = signal.reason as unknown;
    const deadlineMs = reason instanceof RequestDeadlineExceeded ? reason.deadlineMs : null;
    return { data: null, errors: [requestTimeoutError(deadlineMs ?? 0)] };
  };
  if (signal.aborted) {
    execution.catch(() => {});
    return Promise.resolve(timedOut());
  }
  return new Promise<ExecutionResult>((resolve, reject) => {
    const onAbort = () => {
      execution.catch(() => {}); // its late result (or failure) is dropped
      resolve(timedOut());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    execution.then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

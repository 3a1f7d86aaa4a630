import { getDocumentString, type Plugin } from '@envelop/core';
import { getOperationAST, getVariableValues, GraphQLError, print, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { GatewayContext } from '../context';
import type { ExecutionEngine } from '../engine/types';

/**
 * Hands execution to the engine (query planning + subgraph fetches) and keeps Yoga's schema
 * in step with the engine's supergraph, so a hot reload changes validation and execution
 * together. In-flight requests finish on the plan they started with.
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
        return engine.execute({
            document: executeArgs.document,
            source: getDocumentString(executeArgs.document, print),
            operationName: executeArgs.operationName ?? null,
            variables: (executeArgs.variableValues as Record<string, unknown> | undefined) ?? null,
            context: executeArgs.contextValue as GatewayContext,
          }) as Promise<ExecutionResult>;
      });
    },
  };
}

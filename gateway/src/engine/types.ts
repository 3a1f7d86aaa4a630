import type { DocumentNode, ExecutionResult, GraphQLSchema } from 'graphql';

/**
 * The execution engine behind the gateway: it plans and executes operations over the
 * supergraph. Everything licensed under the Elastic License 2.0 (`@apollo/gateway`,
 * `@apollo/query-planner`, `@apollo/composition`) stays behind this interface, so that the
 * engine can be replaced without touching the plugins.
 */
export interface SupergraphInfo {
  /** sha256 of the supergraph SDL. */
  id: string;
  loadedAt: Date;
  subgraphs: { name: string; url: string }[];
}

export interface EngineRequest {
  document: DocumentNode;
  source: string;
  operationName: string | null;
  variables: Record<string, unknown> | null;
  /** Per-request context (headers to forward, correlation id, identity). */
  context: EngineContext;
}

export interface EngineContext {
  correlationId: string;
  /** Headers forwarded to every subgraph fetch of this request (e.g. `traceparent`). */
  forwardHeaders: Record<string, string>;
}

export interface ExecutionEngine {
  readonly kind: string;
  /** Loads the supergraph; resolves with the API schema. */
  start(): Promise<GraphQLSchema>;
  /** Called with the new API schema after every successful (re)load. */
  onSchemaChange(listener: (schema: GraphQLSchema, info: SupergraphInfo) => void): () => void;
  execute(request: EngineRequest): Promise<ExecutionResult>;
  supergraph(): SupergraphInfo | null;
  /** The last rejected supergraph reload (the previous supergraph kept serving), if any. */
  lastReloadError(): { at: Date; message: string } | null;
  stop(): Promise<void>;
}

import type { DocumentNode, ExecutionResult, GraphQLSchema } from 'graphql';
import type { Logger } from '../../../common/logger';

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
  /** The request's child logger (correlation id bound), when the gateway made one. */
  logger?: Logger;
}

/**
 * An engine-neutral query plan: what /ops, the `x-amtsgraph-query-plan` header and
 * `npm run plan` show. Node kinds follow the Federation plan vocabulary.
 */
export type PlanNode =
  | { kind: 'Sequence'; nodes: PlanNode[] }
  | { kind: 'Parallel'; nodes: PlanNode[] }
  | { kind: 'Flatten'; path: string[]; node: PlanNode }
  | { kind: 'Condition'; condition: string; ifClause: PlanNode | null; elseClause: PlanNode | null }
  | { kind: 'Defer'; primary: PlanNode | null; deferred: { label: string | null; path: string[]; node: PlanNode | null }[] }
  | PlanFetchNode;

export interface PlanFetchNode {
  kind: 'Fetch';
  /** Position of the fetch in the plan (depth-first, from 0); per-fetch statistics refer to it. */
  id: number;
  subgraph: string;
  /** True for an `_entities` fetch, which extends entities an earlier fetch returned. */
  entity: boolean;
  /** What the fetch asks for, as `Type.field.subfield` paths (`__typename` left out). */
  fields: string[];
  /** The operation sent to the subgraph (with the literals of the client's query). */
  operation: string;
}

export interface OperationPlan {
  root: PlanNode | null;
  fetchCount: number;
  /** The engine's own readable rendering of the plan. */
  text: string;
}

/** One subgraph fetch, as fetch observers see it. */
export interface FetchInfo {
  subgraph: string;
  /** The operation text sent (equals `PlanFetchNode.operation` of the plan node it executes). */
  operation: string;
  entity: boolean;
}

export interface FetchOutcome {
  durationMs: number;
  /** HTTP status of the subgraph's answer; null when none arrived. */
  status: number | null;
  /** Transport-level failure; null when a GraphQL response arrived. */
  failure: 'unreachable' | 'timeout' | 'too_large' | 'invalid_response' | null;
  /** `extensions.code` of each error in the subgraph's response (at most 20). */
  errorCodes: string[];
}

/**
 * Sees each subgraph fetch start; may add headers to it (e.g. the `traceparent` of the
 * fetch span, which wins over a forwarded one) and is told how it ended.
 */
export type FetchObserver = (
  context: EngineContext,
  fetch: FetchInfo,
) => { headers?: Record<string, string>; done?(outcome: FetchOutcome): void } | void;

/** What a subgraph answered, as a fetch interceptor sees it. */
export interface SubgraphResponse {
  data?: Record<string, unknown> | null;
  errors?: readonly { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

/**
 * Sits in front of every subgraph fetch (the entity cache, gateway/src/cache/): it may answer
 * from elsewhere, or call `send` (possibly with other variables, e.g. fewer representations)
 * and change the answer. `maxAgeSeconds` of `send`'s result is the subgraph's
 * `Cache-Control: max-age`, when it sent one.
 */
export type FetchInterceptor = (
  context: EngineContext,
  fetch: FetchInfo & { variables: Record<string, unknown> | undefined },
  send: (variables: Record<string, unknown> | undefined) => Promise<{ response: SubgraphResponse; maxAgeSeconds: number | null }>,
) => Promise<SubgraphResponse>;

export interface ExecutionEngine {
  readonly kind: string;
  /** Loads the supergraph; resolves with the API schema. */
  start(): Promise<GraphQLSchema>;
  /** Called with the new API schema after every successful (re)load. */
  onSchemaChange(listener: (schema: GraphQLSchema, info: SupergraphInfo) => void): () => void;
  execute(request: EngineRequest): Promise<ExecutionResult>;
  /**
   * Plans an operation of the current supergraph without executing it. Throws a
   * GraphQLError when the operation does not fit the schema or does not exist.
   */
  plan(document: DocumentNode, operationName: string | null): OperationPlan;
  /** Called with the plan of every operation `execute` resolves, before its fetches start. */
  onQueryPlan(listener: (context: EngineContext, plan: OperationPlan) => void): () => void;
  /** Adds an observer of every subgraph fetch (timing, outcome, extra headers). */
  observeFetches(observer: FetchObserver): () => void;
  /** Puts an interceptor in front of every subgraph fetch (at most one; the last one wins). */
  interceptFetches(interceptor: FetchInterceptor | null): void;
  supergraph(): SupergraphInfo | null;
  /**
   * The SDL of the supergraph currently served (null before start). Plugins read what the
   * API schema does not carry from it, e.g. the `@authenticated`/`@requiresScopes`/`@policy`
   * rules (authz/rules.ts). Consistent with the schema handed to `onSchemaChange` listeners.
   */
  supergraphSdl(): string | null;
  /** The last rejected supergraph reload (the previous supergraph kept serving), if any. */
  lastReloadError(): { at: Date; message: string } | null;
  stop(): Promise<void>;
}

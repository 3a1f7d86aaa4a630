import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { operationFromDocument, type Supergraph } from '@apollo/federation-internals';
import type { FetchNode, PlanNode as ApolloPlanNode, QueryPlan, QueryPlanner, QueryPlanSelectionNode } from '@apollo/query-planner';
import {
  GraphQLError,
  getOperationAST,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { toOperationPlan } from '../apollo-plan';
import type { EngineContext, OperationPlan } from '../types';
import { compileShaper, conditionValues, conditionVariables, UnsupportedOperationError, type Shaper } from './shaper';

/**
 * Amtsgraph's executor for the query plans of `@apollo/query-planner`.
 *
 * Plans are data (Sequence/Parallel/Flatten/Fetch/Condition); everything that depends only
 * on the operation is done once and kept with the plan: the plan itself, the compiled result
 * shaper (shaper.ts), one closure per plan node, the representation builder of each entity
 * fetch with its de-duplication key. Per request there remain the subgraph I/O, the merge of
 * each answer into one result tree, and the shaping. Observable behaviour follows
 * @apollo/gateway 2.x's executor (its errors, paths, codes and null propagation); the
 * differences are listed in gateway/src/engine/README.md. Plans using what this executor does
 * not implement (@defer, subscriptions, @interfaceObject/@fromContext data rewrites,
 * type-conditioned fetching) are reported as unsupported and run by Apollo's executor.
 */
export interface PlanExecutorOptions {
  supergraph: Supergraph;
  planner: QueryPlanner;
  /** The API schema (graphql-js) the gateway validates against. */
  apiSchema: GraphQLSchema;
  /** The supergraph schema (graphql-js): type checks on entity representations. */
  supergraphSchema: GraphQLSchema;
  dataSource(name: string): GraphQLDataSource | undefined;
  onPlan(context: EngineContext, plan: OperationPlan): void;
  /** Compiled operations kept by query text (besides those kept per parsed document). */
  maxOperations?: number;
}

export interface PlanExecutorRequest {
  document: DocumentNode;
  source: string;
  operationName: string | null;
  variables: Record<string, unknown> | null;
  context: EngineContext;
}

export interface PlanExecutor {
  /** The result, or `null` when this operation needs Apollo's executor (see `unsupportedReason`). */
  execute(request: PlanExecutorRequest): Promise<ExecutionResult> | null;
  /** Why an operation would be handed to Apollo's executor (null: it is not). */
  unsupportedReason(document: DocumentNode, source: string, operationName: string | null): string | null;
  /** Number of compiled operations held (bounded). */
  size(): number;
}

type Cursor = { path: (string | number)[]; data: unknown };

interface RequestState {
  root: Record<string, unknown>;
  errors: GraphQLError[];
  variables: Record<string, unknown>;
  /** Values of the @skip/@include variables (provided or defaulted): Condition nodes read them. */
  conditions: Record<string, boolean>;
  context: EngineContext;
}

type ExecNode = (state: RequestState, cursor: Cursor) => Promise<void>;

interface CompiledOperation {
  unsupported: string | null;
  plan: QueryPlan | null;
  operationPlan: OperationPlan | null;
  root: ExecNode | null;
  operation: OperationDefinitionNode | null;
  conditionNames: string[];
  shapers: Map<string, Shaper>;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** deepMerge of @apollo/gateway, on plain objects, refusing keys that reach Object.prototype. */
export function deepMerge(target: Record<string, unknown>, source: unknown): void {
  if (source === undefined || source === null || typeof source !== 'object') return;
  const from = source as Record<string, unknown>;
  for (const key in from) {
    if (!hasOwn.call(from, key) || key === '__proto__') continue;
    const value = from[key];
    if (value === undefined) continue;
    const existing = target[key];
    if (existing && typeof value === 'object' && value !== null && !Array.isArray(value) && typeof existing === 'object') {
      deepMerge(existing as Record<string, unknown>, value);
    } else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i++) {
        const sourceItem = value[i];
        const targetItem = existing[i];
        if (isPlainObject(targetItem) && isPlainObject(sourceItem)) deepMerge(targetItem, sourceItem);
        else existing[i] = sourceItem;
      }
    } else {
      target[key] = value;
    }
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every non-null object at `path` ('@' = each list item), in document order. */
function collectAtPath(value: unknown, path: readonly (string | number)[], index: number, out: Record<string, unknown>[]): void {
  if (value === null || value === undefined) return;
  if (index === path.length) {
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && item !== undefined) out.push(item as Record<string, unknown>);
    } else out.push(value as Record<string, unknown>);
    return;
  }
  const step = path[index]!;
  if (step === '@') {
    if (!Array.isArray(value)) return;
    for (const item of value) collectAtPath(item, path, index + 1, out);
    return;
  }
  if (Array.isArray(value) || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  collectAtPath(hasOwn.call(object, step) ? object[step as string] : undefined, path, index + 1, out);
}

/** The client paths of the objects collectAtPath finds (same order), for error paths. */
function hydratedPaths(value: unknown, path: readonly (string | number)[], index: number, prefix: (string | number)[], out: (string | number)[][]): void {
  if (value === null || value === undefined) return;
  if (index === path.length) {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (item !== null && item !== undefined) out.push([...prefix, i]);
      });
    } else out.push([...prefix]);
    return;
  }
  const step = path[index]!;
  if (step === '@') {
    if (!Array.isArray(value)) return;
    value.forEach((item, i) => {
      prefix.push(i);
      hydratedPaths(item, path, index + 1, prefix, out);
      prefix.pop();
    });
    return;
  }
  if (Array.isArray(value) || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  if (!hasOwn.call(object, step)) return;
  prefix.push(step);
  hydratedPaths(object[step as string], path, index + 1, prefix, out);
  prefix.pop();
}

/** A plan path up to its first '@'. */
function clientPrefix(path: readonly (string | number)[]): (string | number)[] {
  const at = path.indexOf('@');
  return at < 0 ? [...path] : path.slice(0, at);
}

function downstreamError(
  original: { message?: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> },
  serviceName: string,
  path: readonly (string | number)[] | undefined,
): GraphQLError {
  const message = original.message || `Error while fetching subquery from service "${serviceName}"`;
  const code = original.extensions?.code ?? 'DOWNSTREAM_SERVICE_ERROR';
  return new GraphQLError(message, {
    path,
    originalError: original as Error,
    extensions: { ...original.extensions, serviceName, code },
  });
}

function executorError(message: string, serviceName: string, path: readonly (string | number)[]): GraphQLError {
  return new GraphQLError(message, { path: path.length ? path : undefined, extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName } });
}

type Representation = Record<string, unknown>;

export function createPlanExecutor(options: PlanExecutorOptions): PlanExecutor {
  const { supergraphSchema, apiSchema } = options;
  const maxOperations = options.maxOperations ?? 1_000;
  const byDocument = new WeakMap<DocumentNode, Map<string, CompiledOperation>>();
  const bySource = new Map<string, CompiledOperation>();

  const isObjectOfType = (object: Record<string, unknown>, condition: string): boolean => {
    const typename = object.__typename;
    if (!typename) return false;
    if (typename === condition) return true;
    const type = typeof typename === 'string' ? supergraphSchema.getType(typename) : undefined;
    const conditionType = supergraphSchema.getType(condition);
    if (!type || !conditionType || !isAbstractType(conditionType)) return false;
    return (isObjectType(type) || isInterfaceType(type)) && supergraphSchema.isSubType(conditionType, type);
  };

  /** executeSelectionSet of @apollo/gateway (the `requires` of an entity fetch), compiled. */
  const compileRepresentation = (selections: readonly QueryPlanSelectionNode[]): ((source: unknown) => Representation | null) => {
    const steps = selections.map((selection): ((source: Record<string, unknown>, result: Representation) => boolean) => {
      if (selection.kind === 'Field') {
        const responseName = selection.alias ?? selection.name;
        const sub = selection.selections ? compileRepresentation(selection.selections) : null;
        return (source, result) => {
          if (!hasOwn.call(source, responseName)) return false;
          const value = source[responseName];
          if (value === undefined) return false;
          if (Array.isArray(value)) result[responseName] = sub ? value.map((v) => sub(v)) : value;
          else result[responseName] = sub ? sub(value) : value;
          return true;
        };
      }
      const condition = selection.typeCondition;
      const sub = compileRepresentation(selection.selections);
      return (source, result) => {
        if (!condition) return true;
        if (isObjectOfType(source, condition)) deepMerge(result, sub(source));
        return true;
      };
    });
    return (source) => {
      if (source === null || source === undefined || typeof source !== 'object') return null;
      const result: Representation = {};
      for (const step of steps) if (!step(source as Record<string, unknown>, result)) return null;
      return result;
    };
  };

  /** De-duplication key of a representation: cheap for flat keys, JSON otherwise. */
  const compileKey = (selections: readonly QueryPlanSelectionNode[]): ((representation: Representation) => string) => {
    const flat =
      selections.length === 1 &&
      selections[0]!.kind === 'InlineFragment' &&
      selections[0]!.selections.every((s) => s.kind === 'Field' && !s.selections);
    if (!flat) return (representation) => JSON.stringify(representation);
    const names = (selections[0] as { selections: { alias?: string; name: string }[] }).selections.map((s) => s.alias ?? s.name);
    return (representation) => {
      let key = '';
      for (const name of names) {
        const value = representation[name];
        key += typeof value === 'string' ? `s${value}\u0000` : `${JSON.stringify(value)}\u0000`;
      }
      return key;
    };
  };

  const compileFetch = (node: FetchNode): ExecNode => {
    const serviceName = node.serviceName;
    const usages = node.variableUsages ?? [];
    const build = node.requires ? compileRepresentation(node.requires) : null;
    const keyOf = node.requires ? compileKey(node.requires) : null;

    const send = async (state: RequestState, cursor: Cursor, variables: Record<string, unknown>, mapPath: (path: readonly (string | number)[] | undefined) => (readonly (string | number)[] | undefined)[]) => {
      const dataSource = options.dataSource(serviceName);
      if (!dataSource) {
        state.errors.push(executorError(`Couldn't find service with name "${serviceName}"`, serviceName, cursor.path));
        return null;
      }
      let response: Awaited<ReturnType<GraphQLDataSource['process']>>;
      try {
        response = await dataSource.process({
          kind: 'incoming operation',
          request: { query: node.operation, variables, operationName: node.operationName },
          incomingRequestContext: undefined,
          context: state.context,
          document: node.operationDocumentNode,
          pathInIncomingRequest: cursor.path,
        } as unknown as GraphQLDataSourceProcessOptions);
      } catch (error) {
        state.errors.push(executorError(`Subgraph "${serviceName}" could not be queried: ${(error as Error).message}`, serviceName, cursor.path));
        return null;
      }
      if (response.errors) {
        for (const error of response.errors) {
          for (const path of mapPath(error.path)) state.errors.push(downstreamError(error, serviceName, path));
        }
      }
      return (response.data ?? null) as Record<string, unknown> | null;
    };

    return async (state, cursor) => {
      const entities: Record<string, unknown>[] = [];
      collectAtPath(cursor.data, [], 0, entities);
      if (!entities.length) return;
      const variables: Record<string, unknown> = {};
      for (const name of usages) {
        const value = state.variables[name];
        if (value !== undefined && hasOwn.call(state.variables, name)) variables[name] = value;
      }
      if (!build || !keyOf) {
        const data = await send(state, cursor, variables, (path) => [path ? [...cursor.path, ...path] : undefined]);
        if (data) for (const entity of entities) deepMerge(entity, data);
        return;
      }
      const representations: Representation[] = [];
      const targetOf = new Int32Array(entities.length).fill(-1);
      const indexByKey = new Map<string, number>();
      for (let i = 0; i < entities.length; i++) {
        const representation = build(entities[i]);
        if (!representation || !representation.__typename) continue;
        const key = keyOf(representation);
        let index = indexByKey.get(key);
        if (index === undefined) {
          index = representations.length;
          representations.push(representation);
          indexByKey.set(key, index);
        }
        targetOf[i] = index;
      }
      if (!representations.length) return;
      if ('representations' in variables) {
        state.errors.push(executorError('Variables cannot contain key "representations"', serviceName, cursor.path));
        return;
      }
      variables.representations = representations;
      let paths: (string | number)[][] | null = null;
      const data = await send(state, cursor, variables, (path) => {
        // No entity index (e.g. the whole fetch failed): anchor at the list field, not at its
        // '@' items ('@' is plan notation, not a valid response path element).
        if (typeof path?.[1] !== 'number') return [path ? [...clientPrefix(cursor.path), ...path] : undefined];
        if (!paths) {
          paths = [];
          hydratedPaths(state.root, cursor.path, 0, [], paths);
        }
        const mapped: (string | number)[][] = [];
        for (let i = 0; i < entities.length; i++) if (targetOf[i] === path[1]) mapped.push([...(paths[i] ?? []), ...path.slice(2)]);
        return mapped.length ? mapped : [[...path.slice(2)]];
      });
      if (!data) return;
      const received = data._entities;
      if (!Array.isArray(received)) {
        state.errors.push(executorError(`Subgraph "${serviceName}" answered without the "_entities" list it was asked for`, serviceName, cursor.path));
        return;
      }
      if (received.length !== representations.length) {
        state.errors.push(executorError(`Subgraph "${serviceName}" answered ${received.length} entities for ${representations.length} representations`, serviceName, cursor.path));
        return;
      }
      for (let i = 0; i < entities.length; i++) {
        const index = targetOf[i]!;
        if (index < 0) continue;
        const entity = received[index] as Record<string, unknown> | null;
        if (!entity || typeof entity !== 'object') continue;
        if (!entity.__typename) entity.__typename = entities[i]!.__typename;
        deepMerge(entities[i]!, entity);
      }
    };
  };

  const compileNode = (node: ApolloPlanNode): ExecNode => {
    switch (node.kind) {
      case 'Sequence': {
        const children = node.nodes.map(compileNode);
        return async (state, cursor) => {
          for (const child of children) await child(state, cursor);
        };
      }
      case 'Parallel': {
        const children = node.nodes.map(compileNode);
        return async (state, cursor) => {
          await Promise.all(children.map((child) => child(state, cursor)));
        };
      }
      case 'Flatten': {
        const child = compileNode(node.node);
        const path = node.path;
        return async (state, cursor) => {
          const data: Record<string, unknown>[] = [];
          collectAtPath(cursor.data, path, 0, data);
          if (!data.length) return;
          await child(state, { path: [...cursor.path, ...path], data });
        };
      }
      case 'Fetch':
        return compileFetch(node);
      case 'Condition': {
        const ifClause = node.ifClause ? compileNode(node.ifClause) : null;
        const elseClause = node.elseClause ? compileNode(node.elseClause) : null;
        const name = node.condition;
        return async (state, cursor) => {
          const branch = state.conditions[name] ? ifClause : elseClause;
          if (branch) await branch(state, cursor);
        };
      }
      case 'Defer':
        throw new UnsupportedOperationError('@defer');
    }
  };

  /** Why a plan cannot run here, or null. */
  const unsupportedIn = (node: ApolloPlanNode | { kind: 'Subscription' } | undefined): string | null => {
    if (!node) return null;
    switch (node.kind) {
      case 'Subscription':
        return 'subscriptions';
      case 'Defer':
        return '@defer';
      case 'Sequence':
      case 'Parallel':
        for (const child of node.nodes) {
          const reason = unsupportedIn(child);
          if (reason) return reason;
        }
        return null;
      case 'Flatten':
        if (node.path.some((p) => typeof p !== 'string' || p === '' || p.includes('|['))) return 'type-conditioned fetching';
        return unsupportedIn(node.node);
      case 'Condition':
        return unsupportedIn(node.ifClause) ?? unsupportedIn(node.elseClause);
      case 'Fetch':
        if (node.inputRewrites?.length || node.outputRewrites?.length || node.contextRewrites?.length) return 'data rewrites (@interfaceObject, @fromContext)';
        if (node.hasDefers) return '@defer';
        return null;
    }
  };

  const compile = (document: DocumentNode, operationName: string | null): CompiledOperation => {
    const operation = getOperationAST(document, operationName ?? undefined) ?? null;
    const empty = { plan: null, operationPlan: null, root: null, operation, conditionNames: [], shapers: new Map() };
    if (!operation) return { ...empty, unsupported: 'no operation' };
    const typed = operationFromDocument(options.supergraph.apiSchema(), document, { operationName: operationName ?? undefined });
    const plan = options.planner.buildQueryPlan(typed);
    const reason = unsupportedIn(plan.node as ApolloPlanNode | undefined);
    if (reason) return { ...empty, operation, plan, unsupported: reason };
    try {
      const root = plan.node ? compileNode(plan.node as ApolloPlanNode) : null;
      const conditionNames = conditionVariables(document);
      // Compile the shaper for the no-condition case eagerly: unsupported shapes show up now.
      const shapers = new Map<string, Shaper>();
      if (!conditionNames.length) shapers.set('', compileShaper(apiSchema, document, operation, {}));
      return { unsupported: null, plan, operationPlan: toOperationPlan(plan), root, operation, conditionNames, shapers };
    } catch (error) {
      if (error instanceof UnsupportedOperationError) return { ...empty, operation, plan, unsupported: error.message };
      throw error;
    }
  };

  const lookup = (document: DocumentNode, source: string, operationName: string | null): CompiledOperation => {
    const name = operationName ?? '';
    let perDocument = byDocument.get(document);
    let compiled = perDocument?.get(name);
    if (compiled) return compiled;
    const sourceKey = `${name}\u0000${source}`;
    compiled = bySource.get(sourceKey);
    if (compiled) {
      // LRU: most recently used last.
      bySource.delete(sourceKey);
    } else {
      compiled = compile(document, operationName);
    }
    bySource.set(sourceKey, compiled);
    while (bySource.size > maxOperations) bySource.delete(bySource.keys().next().value!);
    if (!perDocument) byDocument.set(document, (perDocument = new Map()));
    perDocument.set(name, compiled);
    return compiled;
  };

  return {
    size: () => bySource.size,
    unsupportedReason(document, source, operationName) {
      return lookup(document, source, operationName).unsupported;
    },
    execute(request) {
      const compiled = lookup(request.document, request.source, request.operationName);
      if (compiled.unsupported) return null;
      const operation = compiled.operation!;
      const variables = request.variables ?? {};
      if (operation.variableDefinitions?.length) {
        const coerced = getVariableValues(apiSchema, operation.variableDefinitions, variables);
        if (coerced.errors) return Promise.resolve({ errors: coerced.errors });
      }
      return run(compiled, request, operation, variables);
    },
  };

  async function run(
    compiled: CompiledOperation,
    request: PlanExecutorRequest,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown>,
  ): Promise<ExecutionResult> {
    options.onPlan(request.context, compiled.operationPlan!);
    const root: Record<string, unknown> = {};
    const conditions = compiled.conditionNames.length ? conditionValues(compiled.conditionNames, operation, variables) : {};
    const state: RequestState = { root, errors: [], variables, conditions, context: request.context };
    if (compiled.root) await compiled.root(state, { path: [], data: root });
    const shaperKey = compiled.conditionNames.length ? compiled.conditionNames.map((n) => (conditions[n] ? '1' : '0')).join('') : '';
    let shaper = compiled.shapers.get(shaperKey);
    if (!shaper) {
      shaper = compileShaper(apiSchema, request.document, operation, conditions);
      compiled.shapers.set(shaperKey, shaper);
    }
    const { data, errors: completionErrors } = shaper(root, variables);
    // As @apollo/gateway: value-completion errors are reported only when no fetch failed,
    // and then in `extensions.valueCompletion`.
    if (state.errors.length === 0 && completionErrors.length > 0) return { data, extensions: { valueCompletion: completionErrors } };
    return state.errors.length ? { errors: state.errors, data } : { data };
  }
}

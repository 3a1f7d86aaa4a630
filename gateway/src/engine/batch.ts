import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import {
  Kind,
  parse,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';

/**
 * Entity-fetch batching: the entity fetches that one client request starts towards the same
 * subgraph in the same tick (the branches of a plan's Parallel node) become ONE subgraph
 * request. Each fetch's `_entities` field gets an alias, its `$representations` variable and
 * its fragments a suffix; the answer is split back per fetch, errors by their path. The
 * benchmark plan of ops/bench makes 16 fetches per request, 7 of them to `inventory`; batched,
 * the subgraphs see fewer requests (figures in ops/BENCHMARKS.md).
 *
 * Only plain entity fetches are combined: a query whose single root field is
 * `_entities(representations: $representations)`. Anything else is sent as it is.
 */
export interface BatchRequest {
  query?: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

export interface SubgraphAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

export interface CombinedRequest {
  body: string;
  /** The combined answer as one answer per fetch, in the order given to `combine`. */
  split(answer: Record<string, unknown>): SubgraphAnswer[];
}

const ENTITY_FETCH = /^\s*query\b[^{]*\(\s*\$representations\s*:/;

export function isBatchable(request: GraphQLDataSourceProcessOptions): boolean {
  const variables = request.request.variables;
  return Boolean(variables && 'representations' in variables && ENTITY_FETCH.test(request.request.query ?? ''));
}

interface Parsed {
  operation: OperationDefinitionNode;
  entities: FieldNode;
  fragments: FragmentDefinitionNode[];
}

const MAX_CACHED = 500;

export function createBatchCombiner(): { combine(requests: readonly BatchRequest[]): CombinedRequest | null } {
  const parsedByQuery = new Map<string, Parsed | null>();
  const combinedByQueries = new Map<string, string | null>();

  const remember = <V>(map: Map<string, V>, key: string, value: V): V => {
    map.set(key, value);
    if (map.size > MAX_CACHED) map.delete(map.keys().next().value!);
    return value;
  };

  const parseFetch = (query: string): Parsed | null => {
    const cached = parsedByQuery.get(query);
    if (cached !== undefined) return cached;
    let document: DocumentNode;
    try {
      document = parse(query, { noLocation: true });
    } catch {
      return remember(parsedByQuery, query, null);
    }
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation = operations[0];
    const only = operation?.selectionSet.selections.length === 1 ? operation.selectionSet.selections[0] : undefined;
    if (
      operations.length !== 1 ||
      !operation ||
      operation.operation !== 'query' ||
      operation.directives?.length ||
      only?.kind !== Kind.FIELD ||
      only.name.value !== '_entities' ||
      only.alias ||
      only.directives?.length
    ) {
      return remember(parsedByQuery, query, null);
    }
    const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
    return remember(parsedByQuery, query, { operation, entities: only, fragments });
  };

  /** The combined query text for these fetch queries, or null when one of them cannot be combined. */
  const combinedQuery = (queries: readonly string[]): string | null => {
    const key = queries.join('\u0000');
    const cached = combinedByQueries.get(key);
    if (cached !== undefined) return cached;
    const parsed = queries.map(parseFetch);
    if (parsed.some((p) => p === null)) return remember(combinedByQueries, key, null);
    const variableDefinitions = new Map<string, VariableDefinitionNode>();
    const selections: FieldNode[] = [];
    const fragments: FragmentDefinitionNode[] = [];
    let conflict = false;
    parsed.forEach((fetch, index) => {
      const suffix = `_${index}`;
      const rename = <T extends object>(node: T): T =>
        visit(node as never, {
          Variable: (variable) => (variable.name.value === 'representations' ? { ...variable, name: { ...variable.name, value: `representations${suffix}` } } : undefined),
          FragmentSpread: (spread) => ({ ...spread, name: { ...spread.name, value: `${spread.name.value}${suffix}` } }),
          FragmentDefinition: (fragment) => ({ ...fragment, name: { ...fragment.name, value: `${fragment.name.value}${suffix}` } }),
        }) as T;
      for (const definition of fetch!.operation.variableDefinitions ?? []) {
        const renamed = rename(definition);
        const name = renamed.variable.name.value;
        const existing = variableDefinitions.get(name);
        if (existing && print(existing) !== print(renamed)) conflict = true;
        variableDefinitions.set(name, renamed);
      }
      selections.push({ ...rename(fetch!.entities), alias: { kind: Kind.NAME, value: `_e${index}` } });
      for (const fragment of fetch!.fragments) fragments.push(rename(fragment));
    });
    if (conflict) return remember(combinedByQueries, key, null);
    const document: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: 'query' as OperationDefinitionNode['operation'],
          variableDefinitions: [...variableDefinitions.values()],
          selectionSet: { kind: Kind.SELECTION_SET, selections },
        },
        ...fragments,
      ],
    };
    return remember(combinedByQueries, key, print(document));
  };

  return {
    combine(requests) {
      const query = combinedQuery(requests.map((r) => r.query ?? ''));
      if (query === null) return null;
      const variables: Record<string, unknown> = {};
      requests.forEach((request, index) => {
        for (const [name, value] of Object.entries(request.variables ?? {})) {
          if (name === 'representations') variables[`representations_${index}`] = value;
          else variables[name] = value;
        }
      });
      return {
        body: JSON.stringify({ query, variables }),
        split(answer) {
          const data = answer.data as Record<string, unknown> | null | undefined;
          const parts: SubgraphAnswer[] = requests.map((_, index) => ({
            data: data ? { _entities: data[`_e${index}`] ?? null } : (data ?? null),
          }));
          const errors = Array.isArray(answer.errors) ? (answer.errors as SubgraphAnswer['errors'] & object) : [];
          for (const error of errors) {
            const head = error?.path?.[0];
            const index = typeof head === 'string' && /^_e\d+$/.test(head) ? Number(head.slice(2)) : -1;
            if (index >= 0 && index < parts.length) {
              (parts[index]!.errors ??= []).push({ ...error, path: ['_entities', ...error.path!.slice(1)] });
            } else {
              // Not attributable to one fetch (no path, or a request-level error): each fetch gets it.
              for (const part of parts) (part.errors ??= []).push({ ...error });
            }
          }
          if (answer.extensions && typeof answer.extensions === 'object') for (const part of parts) part.extensions = answer.extensions as Record<string, unknown>;
          return parts;
        },
      };
    },
  };
}

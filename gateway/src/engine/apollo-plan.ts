import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { prettyFormatQueryPlan, QueryPlanner, type PlanNode as ApolloPlanNode, type QueryPlan, type SubscriptionNode } from '@apollo/query-planner';
import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { supergraphId } from './supergraph-file';
import type { OperationPlan, PlanFetchNode, PlanNode } from './types';

/**
 * Apollo query plans (Elastic License 2.0 side of the engine interface) → the engine-neutral
 * `OperationPlan` of types.ts, plus planning without execution. Nothing outside engine/
 * sees Apollo's plan format.
 */
const MAX_FIELDS_PER_FETCH = 200;

/** `Type.field.sub` paths a fetch operation asks for (without `__typename`), in document order. */
function fetchFields(operation: string): { fields: string[]; entity: boolean } {
  let document: DocumentNode;
  try {
    document = parse(operation, { noLocation: true });
  } catch {
    return { fields: [], entity: false };
  }
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  const fields: string[] = [];
  const walk = (set: SelectionSetNode | undefined, prefix: string, depth: number) => {
    if (!set || depth > 32) return;
    for (const selection of set.selections) {
      if (fields.length >= MAX_FIELDS_PER_FETCH) return;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === '__typename') continue;
        const path = `${prefix}.${selection.name.value}`;
        fields.push(path);
        walk(selection.selectionSet, path, depth + 1);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, prefix, depth + 1);
      } else {
        walk(fragments.get(selection.name.value)?.selectionSet, prefix, depth + 1);
      }
    }
  };
  const operationNode = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operationNode || operationNode.kind !== Kind.OPERATION_DEFINITION) return { fields, entity: false };
  const root = operationNode.operation === 'query' ? 'Query' : operationNode.operation === 'mutation' ? 'Mutation' : 'Subscription';
  const entities = operationNode.selectionSet.selections.find((s) => s.kind === Kind.FIELD && s.name.value === '_entities');
  if (entities && entities.kind === Kind.FIELD) {
    // `_entities { ... on Municipality { taxOffice { name } } }` → Municipality.taxOffice, …
    for (const selection of entities.selectionSet?.selections ?? []) {
      if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet, selection.typeCondition?.name.value ?? '_Entity', 0);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        walk(fragment?.selectionSet, fragment?.typeCondition.name.value ?? '_Entity', 0);
      }
    }
    return { fields, entity: true };
  }
  walk(operationNode.selectionSet, root, 0);
  return { fields, entity: false };
}

function convert(node: ApolloPlanNode | SubscriptionNode | undefined, counter: { next: number }): PlanNode | null {
  if (!node) return null;
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return { kind: node.kind, nodes: node.nodes.map((n) => convert(n, counter)).filter((n): n is PlanNode => n !== null) };
    case 'Flatten': {
      const inner = convert(node.node, counter);
      return inner && { kind: 'Flatten', path: node.path.map(String), node: inner };
    }
    case 'Fetch': {
      const { fields, entity } = fetchFields(node.operation);
      const fetch: PlanFetchNode = {
        kind: 'Fetch',
        id: counter.next++,
        subgraph: node.serviceName,
        entity: entity || Boolean(node.requires?.length),
        fields,
        operation: node.operation,
      };
      return fetch;
    }
    case 'Condition':
      return {
        kind: 'Condition',
        condition: node.condition,
        ifClause: convert(node.ifClause, counter),
        elseClause: convert(node.elseClause, counter),
      };
    case 'Defer':
      return {
        kind: 'Defer',
        primary: convert(node.primary.node, counter),
        deferred: node.deferred.map((d) => ({ label: d.label ?? null, path: [...d.queryPath], node: convert(d.node, counter) })),
      };
    case 'Subscription':
      return {
        kind: 'Sequence',
        nodes: [convert(node.primary, counter), convert(node.rest, counter)].filter((n): n is PlanNode => n !== null),
      };
  }
}

const converted = new WeakMap<QueryPlan, OperationPlan>();

/**
 * The neutral form of an Apollo plan. Memoised per plan object: Apollo caches plans by
 * query, so a repeated query is converted (and pretty-printed) once.
 */
export function toOperationPlan(plan: QueryPlan): OperationPlan {
  let result = converted.get(plan);
  if (!result) {
    const counter = { next: 0 };
    const root = convert(plan.node, counter);
    result = Object.freeze({ root, fetchCount: counter.next, text: prettyFormatQueryPlan(plan) });
    converted.set(plan, result);
  }
  return result;
}

export interface Planning {
  id: string;
  supergraph: Supergraph;
  planner: QueryPlanner;
}

/**
 * The supergraph and query planner of an SDL, kept for the last SDL seen: the offline planner
 * and the plan executor share them.
 */
export function createPlanning(): (sdl: string) => Planning {
  let current: Planning | null = null;
  return (sdl) => {
    const id = supergraphId(sdl);
    if (!current || current.id !== id) {
      const supergraph = Supergraph.build(sdl);
      current = { id, supergraph, planner: new QueryPlanner(supergraph) };
    }
    return current;
  };
}

/**
 * Plans operations against a supergraph SDL without executing anything (the `plan-only`
 * header, `npm run plan`).
 */
export function createOfflinePlanner(planning = createPlanning()): (sdl: string, document: DocumentNode, operationName: string | null) => OperationPlan {
  return (sdl, document, operationName) => {
    const { supergraph, planner } = planning(sdl);
    const operation = operationFromDocument(supergraph.apiSchema(), document, { operationName: operationName ?? undefined });
    return toOperationPlan(planner.buildQueryPlan(operation));
  };
}

import { parse, print } from 'graphql';
import type { OperationPlan, PlanNode } from '../engine/types';
import { LatencyHistogram, type LatencySummary } from './latency';
import { hideLiterals, type OperationSignature } from './signature';

/**
 * What the gateway learned about each operation it resolved, grouped by normalised
 * signature (signature.ts) in a bounded LRU (`maxSignatures`, the least recently seen
 * signature is dropped first). Per signature: requests, requests with errors, latency
 * quantiles, fetches and latency per subgraph and per plan fetch, fields removed by
 * authorization, and the plan (with literals hidden: the stored plan holds no values of any
 * caller's query). The entity-cache hit ratio stays null until an entity cache exists.
 */
export interface RecordedFetch {
  subgraph: string;
  /** Id of the plan fetch node it executed (PlanFetchNode.id); null when it could not be matched. */
  fetchId: number | null;
  durationMs: number;
  failed: boolean;
}

export interface RecordedRequest {
  signature: OperationSignature;
  durationMs: number;
  /** The response carried errors. */
  failed: boolean;
  plan: OperationPlan | null;
  supergraphId: string | null;
  fetches: RecordedFetch[];
  /** Fields removed from the operation by authorization for this request. */
  removedFields: number;
  /** Entity cache lookups of this request (gateway/src/cache/), when an entity cache runs. */
  entityCache?: { hits: number; misses: number } | null;
  at?: Date;
}

export interface SubgraphUsage {
  name: string;
  fetches: number;
  errors: number;
  latency: LatencySummary;
}

export interface OperationSummary {
  id: string;
  operationName: string | null;
  operationType: string | null;
  signature: string;
  count: number;
  errors: number;
  latency: LatencySummary;
  subgraphs: SubgraphUsage[];
  /** Share of entity lookups served from the entity cache; null until an entity cache exists. */
  entityCacheHitRatio: number | null;
  /** Fields authorization removed, summed over all requests of this signature. */
  authorizationRemovedFields: number;
  firstSeen: string;
  lastSeen: string;
}

/** A plan node as /ops shows it: fetch nodes carry their own statistics. */
export type StoredPlanNode =
  | { kind: 'Sequence' | 'Parallel'; nodes: StoredPlanNode[] }
  | { kind: 'Flatten'; path: string[]; node: StoredPlanNode }
  | { kind: 'Condition'; condition: string; ifClause: StoredPlanNode | null; elseClause: StoredPlanNode | null }
  | { kind: 'Defer'; primary: StoredPlanNode | null; deferred: { label: string | null; path: string[]; node: StoredPlanNode | null }[] }
  | {
      kind: 'Fetch';
      id: number;
      subgraph: string;
      entity: boolean;
      fields: string[];
      operation: string;
      stats: { count: number; errors: number; latency: LatencySummary };
    };

export interface OperationDetail extends OperationSummary {
  plan: { supergraphId: string | null; fetchCount: number; root: StoredPlanNode | null } | null;
}

interface Usage {
  count: number;
  errors: number;
  latency: LatencyHistogram;
}

interface Entry {
  signature: OperationSignature;
  usage: Usage;
  subgraphs: Map<string, Usage>;
  fetches: Map<number, Usage>;
  plan: { supergraphId: string | null; fetchCount: number; root: PlanNode | null } | null;
  removedFields: number;
  /** Entity cache lookups over all requests of this signature (null: no entity cache seen). */
  entityCache: { hits: number; misses: number } | null;
  firstSeen: Date;
  lastSeen: Date;
}

const newUsage = (): Usage => ({ count: 0, errors: 0, latency: new LatencyHistogram() });
const add = (usage: Usage, durationMs: number, failed: boolean) => {
  usage.count += 1;
  if (failed) usage.errors += 1;
  usage.latency.record(durationMs);
};

/** A fetch operation with its literals hidden, printed readably (or left out if it does not parse). */
function sanitiseOperation(operation: string): string {
  try {
    return print(hideLiterals(parse(operation, { noLocation: true })));
  } catch {
    return '';
  }
}

function sanitise(node: PlanNode | null): PlanNode | null {
  if (!node) return null;
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return { kind: node.kind, nodes: node.nodes.map((n) => sanitise(n)!) };
    case 'Flatten':
      return { ...node, node: sanitise(node.node)! };
    case 'Condition':
      return { ...node, ifClause: sanitise(node.ifClause), elseClause: sanitise(node.elseClause) };
    case 'Defer':
      return { ...node, primary: sanitise(node.primary), deferred: node.deferred.map((d) => ({ ...d, node: sanitise(d.node) })) };
    case 'Fetch':
      return { ...node, fields: [...node.fields], operation: sanitiseOperation(node.operation) };
  }
}

function withStats(node: PlanNode | null, fetches: Map<number, Usage>): StoredPlanNode | null {
  if (!node) return null;
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return { kind: node.kind, nodes: node.nodes.map((n) => withStats(n, fetches)!) };
    case 'Flatten':
      return { ...node, node: withStats(node.node, fetches)! };
    case 'Condition':
      return { ...node, ifClause: withStats(node.ifClause, fetches), elseClause: withStats(node.elseClause, fetches) };
    case 'Defer':
      return {
        ...node,
        primary: withStats(node.primary, fetches),
        deferred: node.deferred.map((d) => ({ ...d, node: withStats(d.node, fetches) })),
      };
    case 'Fetch': {
      const usage = fetches.get(node.id);
      return {
        ...node,
        stats: { count: usage?.count ?? 0, errors: usage?.errors ?? 0, latency: (usage?.latency ?? new LatencyHistogram()).summary() },
      };
    }
  }
}

export interface PlanStore {
  readonly capacity: number;
  record(request: RecordedRequest): void;
  /** Every signature, most requested first. */
  list(): OperationSummary[];
  get(id: string): OperationDetail | null;
  /** Signatures dropped because the store was full. */
  evicted(): number;
  size(): number;
}

export function createPlanStore(options: { maxSignatures: number }): PlanStore {
  const capacity = options.maxSignatures;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new Error(`plan store: maxSignatures must be a whole number ≥ 1, received ${String(capacity)}`);
  }
  // Map iteration order is insertion order: re-inserting on every hit makes it an LRU.
  const entries = new Map<string, Entry>();
  let evictions = 0;

  const summary = (entry: Entry): OperationSummary => ({
    id: entry.signature.id,
    operationName: entry.signature.operationName,
    operationType: entry.signature.operationType,
    signature: entry.signature.signature,
    count: entry.usage.count,
    errors: entry.usage.errors,
    latency: entry.usage.latency.summary(),
    subgraphs: [...entry.subgraphs]
      .map(([name, usage]) => ({ name, fetches: usage.count, errors: usage.errors, latency: usage.latency.summary() }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    entityCacheHitRatio:
      entry.entityCache && entry.entityCache.hits + entry.entityCache.misses > 0
        ? entry.entityCache.hits / (entry.entityCache.hits + entry.entityCache.misses)
        : null,
    authorizationRemovedFields: entry.removedFields,
    firstSeen: entry.firstSeen.toISOString(),
    lastSeen: entry.lastSeen.toISOString(),
  });

  return {
    capacity,
    record(request) {
      const id = request.signature.id;
      const at = request.at ?? new Date();
      let entry = entries.get(id);
      if (entry) {
        entries.delete(id);
      } else {
        entry = {
          signature: request.signature,
          usage: newUsage(),
          subgraphs: new Map(),
          fetches: new Map(),
          plan: null,
          removedFields: 0,
          entityCache: null,
          firstSeen: at,
          lastSeen: at,
        };
        if (entries.size >= capacity) {
          const oldest = entries.keys().next().value as string;
          entries.delete(oldest);
          evictions += 1;
        }
      }
      entries.set(id, entry);
      entry.lastSeen = at;
      add(entry.usage, request.durationMs, request.failed);
      entry.removedFields += request.removedFields;
      if (request.entityCache) {
        entry.entityCache ??= { hits: 0, misses: 0 };
        entry.entityCache.hits += request.entityCache.hits;
        entry.entityCache.misses += request.entityCache.misses;
      }
      if (request.plan && (!entry.plan || entry.plan.supergraphId !== request.supergraphId)) {
        // A new supergraph may plan differently: per-fetch statistics start again with it.
        entry.plan = { supergraphId: request.supergraphId, fetchCount: request.plan.fetchCount, root: sanitise(request.plan.root) };
        entry.fetches.clear();
      }
      for (const fetch of request.fetches) {
        let usage = entry.subgraphs.get(fetch.subgraph);
        if (!usage) entry.subgraphs.set(fetch.subgraph, (usage = newUsage()));
        add(usage, fetch.durationMs, fetch.failed);
        if (fetch.fetchId !== null) {
          let perFetch = entry.fetches.get(fetch.fetchId);
          if (!perFetch) entry.fetches.set(fetch.fetchId, (perFetch = newUsage()));
          add(perFetch, fetch.durationMs, fetch.failed);
        }
      }
    },
    list() {
      return [...entries.values()].map(summary).sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : 1));
    },
    get(id) {
      const entry = entries.get(id);
      if (!entry) return null;
      return {
        ...summary(entry),
        plan: entry.plan && { supergraphId: entry.plan.supergraphId, fetchCount: entry.plan.fetchCount, root: withStats(entry.plan.root, entry.fetches) },
      };
    },
    evicted: () => evictions,
    size: () => entries.size,
  };
}

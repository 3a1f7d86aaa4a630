import { Kind, parse, print, type DefinitionNode, type DocumentNode } from 'graphql';
import type { CacheStore } from '../../../common/cache';
import { canonicalJson, sha256, type SupergraphFacts } from './analyze';
import type { RequestFreshness } from './entity-cache';

/**
 * The gateway response cache: whole answers of public queries, in the entity cache's store
 * (its `entity` namespace), so that every entity cache invalidation drops them too.
 *
 * - Eligible: a **query** (the operation the request selects) that touches no field or type
 *   under `@authenticated`, `@requiresScopes` or `@policy` (the facts of analyze.ts, the rules
 *   authorization and the entity cache use). Its answer is the same for every caller.
 * - Key: `q:<sha256(supergraph id, operation text, operationName, canonical variables)>`; the
 *   supergraph id (sha256 of its SDL) retires every entry when the supergraph changes.
 * - Value: the answer exactly as serialised for the client (a string), replayed byte for byte.
 * - TTL: min(`cache.responses.ttlSeconds`, what the entity cache computed for the request's
 *   fetches: `RequestFreshness`). Nothing is stored when a fetch bypassed the entity cache or
 *   was answered `no-store`/`no-cache`/`private`.
 *
 * This module decides and keys; plugins/use-response-cache.ts wires it into Yoga.
 */
export const RESPONSE_KEY_PREFIX = 'q:';

export interface ResponseKeyParts {
  /** The supergraph's id (sha256 of its SDL). */
  supergraphId: string;
  /** The operation text as sent (after persisted-operation resolution). */
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** `q:<sha256>` over the parts; absent, null and `{}` variables are the same request. */
export function responseCacheKey(parts: ResponseKeyParts): string {
  const text = canonicalJson([parts.supergraphId, parts.query, parts.operationName || null, parts.variables ?? {}]);
  return `${RESPONSE_KEY_PREFIX}${sha256(text)}`;
}

export interface ResponseCacheStats {
  hit: number;
  miss: number;
  stored: number;
}

export interface ResponseCache {
  /** The entry key of a request, or null when its answer may not be shared (or no supergraph is loaded). */
  keyFor(query: string, operationName: string | null, variables: Record<string, unknown> | null): string | null;
  /**
   * The stored answer's UTF-8 bytes, sent on as they are (never decoded), or null (miss,
   * damaged entry, store unavailable). Counts hit/miss.
   */
  read(key: string): Promise<Buffer | null>;
  /** How long an answer may be kept, in ms, given its request's fetches (0: not at all). */
  ttlFor(freshness: RequestFreshness | null): number;
  /** Stores an answer's text; `true` when stored. Never rejects. */
  write(key: string, text: string, ttlMs: number): Promise<boolean>;
  stats(): ResponseCacheStats;
}

export interface ResponseCacheOptions {
  /** The entity cache's view of the store (`namespaced(store, 'entity')`). */
  store: CacheStore;
  /** Upper bound of an entry's TTL (`cache.responses.ttlSeconds`). */
  ttlSeconds: number;
  /** The supergraph facts (the entity cache's: one reading of the rules). */
  facts: () => SupergraphFacts | null;
  /** The id of the supergraph being served. */
  supergraphId: () => string | null;
  /** Hit/miss counter of the ops metrics (`amtsgraph_cache_hits_total{cache="response"}`). */
  recordCache?: (result: 'hit' | 'miss') => void;
}

/** Distinct (operation text, operationName) pairs whose eligibility is remembered. */
const MAX_DECISIONS = 1_000;

export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const { store } = options;
  const counts: ResponseCacheStats = { hit: 0, miss: 0, stored: 0 };
  let decidedFor: SupergraphFacts | null = null;
  // Keyed by hashes: operation texts may be large (up to the request body limit).
  const decisions = new Map<string, boolean>();

  const isPublicQuery = (facts: SupergraphFacts, query: string, queryHash: string, operationName: string | null): boolean => {
    if (decidedFor !== facts) {
      decisions.clear();
      decidedFor = facts;
    }
    const id = `${queryHash}\n${operationName ?? ''}`;
    const known = decisions.get(id);
    if (known !== undefined) return known;
    const decision = decide(facts, query, operationName);
    if (decisions.size >= MAX_DECISIONS) decisions.delete(decisions.keys().next().value!);
    decisions.set(id, decision);
    return decision;
  };

  return {
    keyFor(query, operationName, variables) {
      const facts = options.facts();
      const supergraphId = options.supergraphId();
      if (!facts || !supergraphId) return null;
      if (!isPublicQuery(facts, query, sha256(query), operationName)) return null;
      return responseCacheKey({ supergraphId, query, operationName, variables });
    },
    async read(key) {
      const read = await store.getBytes(key);
      // Values are answers serialised by the gateway itself ('{' first); anything else is damage.
      const hit = read.status === 'hit' && read.value[0] === 0x7b;
      counts[hit ? 'hit' : 'miss'] += 1;
      options.recordCache?.(hit ? 'hit' : 'miss');
      return hit ? (read as { value: Buffer }).value : null;
    },
    ttlFor(freshness) {
      const configured = options.ttlSeconds * 1000;
      if (!freshness) return configured;
      if (freshness.uncacheable) return 0;
      return Math.max(0, Math.floor(Math.min(configured, freshness.ttlMs)));
    },
    async write(key, text, ttlMs) {
      if (!(ttlMs > 0)) return false;
      const stored = await store.set(key, text, ttlMs);
      if (stored) counts.stored += 1;
      return stored;
    },
    stats: () => ({ ...counts }),
  };
}

/**
 * Whether the operation a request selects is a query that touches nothing restricted. A
 * document with several operations is analysed as the selected one plus the fragments.
 */
function decide(facts: SupergraphFacts, query: string, operationName: string | null): boolean {
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return false;
  }
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const selected = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!selected || selected.operation !== 'query') return false;
  let text = query;
  if (operations.length > 1) {
    const definitions: DefinitionNode[] = [selected, ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)];
    text = print({ kind: Kind.DOCUMENT, definitions });
  }
  const analysis = facts.analyze(text);
  return analysis.query && !analysis.restricted;
}

import type { FetchOutcome } from '../engine/types';
import { LatencyHistogram, type LatencySummary } from './latency';

/**
 * Subgraph health as the operator page shows it: traffic-derived numbers (fetches, errors,
 * error rate over the last five minutes, latency, the last error) plus a live probe
 * (`{ __typename }`, the same query /readyz uses) for up/down and probe latency.
 *
 * The last error names its kind and code only, never a message: subgraph messages can echo
 * argument values, and those may be personal data.
 */
const SLOT_MS = 10_000;
const SLOTS = 30; // 30 × 10 s = the last five minutes

export interface SubgraphLastError {
  at: string;
  /** `timeout`, `unreachable`, `too_large`, `invalid_response` or `graphql` (errors in a GraphQL response). */
  kind: string;
  /** The catalogued code (first error of the response, or DOWNSTREAM_SERVICE_ERROR for transport failures). */
  code: string;
  description: string;
}

export interface SubgraphTrafficSummary {
  fetches: number;
  errors: number;
  /** Errors / fetches over the last five minutes; null without fetches in that window. */
  recentErrorRate: number | null;
  recentFetches: number;
  latency: LatencySummary;
  lastFetchAt: string | null;
  lastError: SubgraphLastError | null;
}

interface Traffic {
  fetches: number;
  errors: number;
  latency: LatencyHistogram;
  slots: { start: number; fetches: number; errors: number }[];
  lastFetchAt: number | null;
  lastError: SubgraphLastError | null;
}

const DESCRIPTIONS: Record<string, string> = {
  timeout: 'did not answer within the subgraph timeout',
  unreachable: 'was not reachable',
  too_large: 'answered a response larger than the gateway accepts',
  invalid_response: 'answered something that is not a GraphQL response',
  graphql: 'answered with errors',
};

export interface SubgraphTrafficStats {
  record(subgraph: string, outcome: FetchOutcome, now?: number): void;
  summary(subgraph: string, now?: number): SubgraphTrafficSummary;
}

export function createSubgraphTrafficStats(): SubgraphTrafficStats {
  // Keys are subgraph names of the supergraph: bounded by the supergraph itself.
  const traffic = new Map<string, Traffic>();
  const get = (name: string) => {
    let entry = traffic.get(name);
    if (!entry) {
      entry = { fetches: 0, errors: 0, latency: new LatencyHistogram(), slots: [], lastFetchAt: null, lastError: null };
      traffic.set(name, entry);
    }
    return entry;
  };
  const recent = (entry: Traffic, now: number) => entry.slots.filter((s) => s.start > now - SLOT_MS * SLOTS);
  return {
    record(subgraph, outcome, now = Date.now()) {
      const entry = get(subgraph);
      const failed = outcome.failure !== null || outcome.errorCodes.length > 0;
      entry.fetches += 1;
      entry.latency.record(outcome.durationMs);
      entry.lastFetchAt = now;
      const start = now - (now % SLOT_MS);
      let slot = entry.slots[entry.slots.length - 1];
      if (!slot || slot.start !== start) {
        slot = { start, fetches: 0, errors: 0 };
        entry.slots.push(slot);
        entry.slots = recent(entry, now);
      }
      slot.fetches += 1;
      if (failed) {
        slot.errors += 1;
        entry.errors += 1;
        const kind = outcome.failure ?? 'graphql';
        entry.lastError = {
          at: new Date(now).toISOString(),
          kind,
          code: outcome.failure ? 'DOWNSTREAM_SERVICE_ERROR' : outcome.errorCodes[0]!,
          description: DESCRIPTIONS[kind]!,
        };
      }
    },
    summary(subgraph, now = Date.now()) {
      const entry = get(subgraph);
      const window = recent(entry, now);
      const recentFetches = window.reduce((n, s) => n + s.fetches, 0);
      const recentErrors = window.reduce((n, s) => n + s.errors, 0);
      return {
        fetches: entry.fetches,
        errors: entry.errors,
        recentFetches,
        recentErrorRate: recentFetches ? Math.round((recentErrors / recentFetches) * 10_000) / 10_000 : null,
        latency: entry.latency.summary(),
        lastFetchAt: entry.lastFetchAt === null ? null : new Date(entry.lastFetchAt).toISOString(),
        lastError: entry.lastError,
      };
    },
  };
}

export interface ProbeResult {
  up: boolean;
  latencyMs: number | null;
  problem: string | null;
}

/**
 * Probes each subgraph with `{ __typename }`; results are reused for `cacheMs` so that page
 * refreshes cannot amplify load on the subgraphs.
 */
export function createSubgraphProber(options: {
  probeHeaders: () => Promise<Record<string, string>>;
  timeoutMs?: number;
  cacheMs?: number;
}): (subgraphs: { name: string; url: string }[]) => Promise<Map<string, ProbeResult>> {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const cacheMs = options.cacheMs ?? 2_000;
  let cached: { at: number; key: string; results: Map<string, ProbeResult> } | null = null;
  const probe = async (url: string): Promise<ProbeResult> => {
    const started = performance.now();
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await options.probeHeaders()) },
        body: '{"query":"{ __typename }"}',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await response.json()) as { data?: { __typename?: string } };
      const latencyMs = Math.round((performance.now() - started) * 100) / 100;
      return body.data?.__typename === 'Query'
        ? { up: true, latencyMs, problem: null }
        : { up: false, latencyMs, problem: `answered HTTP ${response.status} without data` };
    } catch (error) {
      return { up: false, latencyMs: null, problem: (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'not reachable' };
    }
  };
  return async (subgraphs) => {
    const key = subgraphs.map((s) => `${s.name}=${s.url}`).join(' ');
    if (cached && cached.key === key && Date.now() - cached.at < cacheMs) return cached.results;
    const results = new Map(await Promise.all(subgraphs.map(async (s) => [s.name, await probe(s.url)] as const)));
    cached = { at: Date.now(), key, results };
    return results;
  };
}

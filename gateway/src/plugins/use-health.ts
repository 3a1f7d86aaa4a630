import type { Plugin } from 'graphql-yoga';
import type { ExecutionEngine } from '../engine/types';

/**
 * `GET /healthz`: the process is alive. `GET /readyz`: a supergraph is loaded and every
 * subgraph answers `{ __typename }` within `timeoutMs`; 503 with the failing subgraphs
 * otherwise. The readiness result is reused for `cacheMs` so probes cannot amplify load.
 */
export function useHealth(options: {
  engine: ExecutionEngine;
  /** Headers for the probe request, e.g. the signed anonymous identity subgraphs require. */
  probeHeaders?: () => Promise<Record<string, string>>;
  timeoutMs?: number;
  cacheMs?: number;
}): Plugin {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const cacheMs = options.cacheMs ?? 1_000;
  let cached: { at: number; status: number; body: unknown } | null = null;

  const probe = async (url: string): Promise<string | null> => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await options.probeHeaders?.()) },
        body: '{"query":"{ __typename }"}',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await response.json()) as { data?: { __typename?: string } };
      return body.data?.__typename === 'Query' ? null : `answered HTTP ${response.status} without data`;
    } catch (error) {
      return (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'not reachable';
    }
  };

  const readiness = async () => {
    if (cached && Date.now() - cached.at < cacheMs) return cached;
    const info = options.engine.supergraph();
    if (!info) return { at: Date.now(), status: 503, body: { status: 'not ready', reason: 'no supergraph loaded' } };
    const results = await Promise.all(
      info.subgraphs.map(async (s) => ({ name: s.name, url: s.url, problem: await probe(s.url) })),
    );
    const failing = results.filter((r) => r.problem !== null);
    cached = {
      at: Date.now(),
      status: failing.length ? 503 : 200,
      body: {
        status: failing.length ? 'not ready' : 'ready',
        supergraph: { id: info.id, loadedAt: info.loadedAt.toISOString() },
        subgraphs: results.map((r) => ({ name: r.name, up: r.problem === null, ...(r.problem ? { problem: r.problem } : {}) })),
      },
    };
    return cached;
  };

  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET') return;
      if (url.pathname === '/healthz') {
        endResponse(Response.json({ status: 'ok' }) as unknown as InstanceType<typeof fetchAPI.Response>);
        return;
      }
      if (url.pathname === '/readyz') {
        const result = await readiness();
        endResponse(
          new fetchAPI.Response(JSON.stringify(result.body), {
            status: result.status,
            headers: { 'content-type': 'application/json' },
          }),
        );
      }
    },
  };
}

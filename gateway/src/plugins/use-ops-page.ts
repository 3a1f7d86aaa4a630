import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../../../common/errors';
import type { Identity } from '../../../common/identity';
import type { Logger } from '../../../common/logger';
import type { Authenticator } from '../auth/authenticate';
import type { ExecutionEngine } from '../engine/types';
import { buildCatalogue, readContract, type Catalogue, type CatalogueSource } from '../ops/catalogue';
import type { GatewayMetrics } from '../ops/metrics';
import type { PlanStore } from '../ops/plan-store';
import { OPS_SCOPES } from '../ops/scopes';
import { createSubgraphProber, type SubgraphTrafficStats } from '../ops/subgraph-health';

/**
 * The operator endpoints. Comes before authentication in the plugin list: it answers its
 * own paths and authenticates their callers itself (so that Prometheus' static token, which
 * is not a JWT, reaches /metrics).
 *
 * - `GET /ops`: the operator page (HTML, JS and CSS from ops/page/, no external requests;
 *   strict Content-Security-Policy). The page itself needs no token; it asks for one, keeps
 *   it in sessionStorage and calls the JSON API with `Authorization: Bearer`.
 * - `GET /ops/api/{overview,operations,operations/<id>,subgraphs,catalogue,contracts/<stand-in>}`:
 *   scope `ops:read`. 401 UNAUTHENTICATED without a valid token, 403 INSUFFICIENT_SCOPE
 *   without the scope.
 * - `GET /metrics`: Prometheus text format, with the static metrics token
 *   (`ops.metrics.token`, env AMTSGRAPH_METRICS_TOKEN) or a caller token with scope
 *   `ops:metrics`; same refusals.
 */
export interface OpsPageOptions {
  engine: ExecutionEngine;
  store: PlanStore;
  traffic: SubgraphTrafficStats;
  metrics: GatewayMetrics | null;
  /** Static bearer token for /metrics (Prometheus); null: caller tokens with ops:metrics only. */
  metricsToken: string | null;
  /** Verifies caller tokens; null until authentication exists (everything protected is refused). */
  authenticate: Authenticator | null;
  /** Headers for the subgraph probes (the signed anonymous identity subgraphs require). */
  probeHeaders: () => Promise<Record<string, string>>;
  catalogue: CatalogueSource | null;
  /** Serve the page and its API (the /metrics endpoint is governed by `metrics`). */
  page: boolean;
  logger: Logger;
}

const PAGE_DIR = path.join(__dirname, '..', 'ops', 'page');
const ASSETS: Record<string, { file: string; type: string }> = {
  '/ops': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ops/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ops/ops.js': { file: 'ops.js', type: 'text/javascript; charset=utf-8' },
  '/ops/ops.css': { file: 'ops.css', type: 'text/css; charset=utf-8' },
};
/** Nothing but this origin: no CDN, no inline script, no framing. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers },
  });

const refusal = (status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) =>
  json(status, { errors: [{ message, extensions: { code } }] }, headers);

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function useOpsPage(options: OpsPageOptions): Plugin {
  const { engine, store, traffic } = options;
  const assets = new Map(
    Object.entries(ASSETS).map(([route, asset]) => [route, { type: asset.type, body: options.page ? readFileSync(path.join(PAGE_DIR, asset.file)) : null }]),
  );
  const probe = createSubgraphProber({ probeHeaders: options.probeHeaders });
  const startedAt = new Date();
  let catalogue: Catalogue | null = null;

  /** The caller, or the refusal to answer with. */
  const authorize = async (request: Request, scope: string): Promise<Response | Identity> => {
    const authorization = request.headers.get('authorization');
    const challenge = { 'www-authenticate': `Bearer scope="${scope}"` };
    if (!authorization || !options.authenticate) {
      return refusal(401, 'UNAUTHENTICATED', `This endpoint needs a bearer token with scope ${scope}.`, challenge);
    }
    const outcome = await options.authenticate({ authorization, purpose: null });
    if (!outcome.ok) return refusal(outcome.status, outcome.code, outcome.message, outcome.headers);
    if (outcome.identity.anonymous) return refusal(401, 'UNAUTHENTICATED', `This endpoint needs a bearer token with scope ${scope}.`, challenge);
    if (!outcome.identity.scopes.includes(scope)) {
      return refusal(403, 'INSUFFICIENT_SCOPE', `This endpoint needs the scope ${scope}, which this token does not have.`, {
        'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
      });
    }
    return outcome.identity;
  };

  const currentCatalogue = (): Catalogue | null => {
    const sdl = engine.supergraphSdl();
    if (!sdl || !options.catalogue) return null;
    const info = engine.supergraph();
    if (!catalogue || catalogue.supergraphId !== info?.id) {
      const urls = Object.fromEntries((info?.subgraphs ?? []).map((s) => [s.name, s.url]));
      catalogue = buildCatalogue(sdl, options.catalogue, urls);
    }
    return catalogue;
  };

  const api = async (route: string): Promise<Response> => {
    const info = engine.supergraph();
    if (route === 'overview') {
      return json(200, {
        gateway: { engine: engine.kind, startedAt: startedAt.toISOString(), uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000) },
        supergraph: info && { id: info.id, loadedAt: info.loadedAt.toISOString(), subgraphs: info.subgraphs.length },
        lastReloadError: engine.lastReloadError() && { at: engine.lastReloadError()!.at.toISOString(), message: engine.lastReloadError()!.message },
        operations: { tracked: store.size(), capacity: store.capacity, evicted: store.evicted() },
      });
    }
    if (route === 'operations') {
      return json(200, {
        supergraph: info && { id: info.id, loadedAt: info.loadedAt.toISOString() },
        capacity: store.capacity,
        evicted: store.evicted(),
        operations: store.list(),
      });
    }
    const operation = /^operations\/([0-9a-f]{16})$/.exec(route);
    if (operation) {
      const detail = store.get(operation[1]!);
      return detail ? json(200, detail) : refusal(404, 'BAD_REQUEST', 'No operation with this id has been seen (or it was evicted).');
    }
    if (route === 'subgraphs') {
      const subgraphs = info?.subgraphs ?? [];
      const probes = await probe(subgraphs);
      return json(200, {
        supergraph: info && { id: info.id, loadedAt: info.loadedAt.toISOString() },
        subgraphs: subgraphs.map((s) => ({ name: s.name, url: s.url, probe: probes.get(s.name) ?? null, traffic: traffic.summary(s.name) })),
      });
    }
    if (route === 'catalogue') {
      const built = currentCatalogue();
      return built ? json(200, built) : refusal(503, 'INTERNAL_SERVER_ERROR', 'The catalogue is not available (no supergraph loaded or no catalogue metadata).');
    }
    const contract = /^contracts\/([a-z][a-z0-9-]*)$/.exec(route);
    if (contract && options.catalogue) {
      const text = readContract(options.catalogue, contract[1]!);
      if (text !== null) {
        return new Response(text, {
          headers: { 'content-type': 'text/yaml; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
        });
      }
    }
    return refusal(404, 'NOT_FOUND', 'Unknown ops API path; the operator API is described in the README, Operations.');
  };

  return {
    async onRequest({ request, url, endResponse }) {
      const pathname = url.pathname;
      const isMetrics = pathname === '/metrics' && options.metrics !== null;
      const isOps = options.page && (pathname === '/ops' || pathname.startsWith('/ops/'));
      if (!isMetrics && !isOps) return;
      const finish = (response: Response) => endResponse(response as never);
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        finish(refusal(405, 'BAD_REQUEST', 'Only GET is supported here.', { allow: 'GET, HEAD' }));
        return;
      }

      if (isMetrics) {
        const authorization = request.headers.get('authorization') ?? '';
        const staticToken = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
        if (!(options.metricsToken && staticToken && sameSecret(staticToken, options.metricsToken))) {
          const caller = await authorize(request, OPS_SCOPES.metrics);
          if (caller instanceof Response) {
            finish(caller);
            return;
          }
        }
        const { contentType, body } = await options.metrics!.scrape();
        finish(new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } }));
        return;
      }

      const asset = assets.get(pathname);
      if (asset?.body) {
        finish(
          new Response(asset.body, {
            headers: {
              'content-type': asset.type,
              'content-security-policy': CSP,
              'x-content-type-options': 'nosniff',
              'referrer-policy': 'no-referrer',
              'x-frame-options': 'DENY',
              'cache-control': 'no-cache',
            },
          }),
        );
        return;
      }
      if (!pathname.startsWith('/ops/api/')) {
        finish(refusal(404, 'BAD_REQUEST', 'Unknown ops path.'));
        return;
      }
      const caller = await authorize(request, OPS_SCOPES.read);
      if (caller instanceof Response) {
        finish(caller);
        return;
      }
      try {
        finish(await api(pathname.slice('/ops/api/'.length)));
      } catch (error) {
        options.logger.error({ err: error, path: pathname }, 'ops API failed');
        finish(refusal(500, 'INTERNAL_SERVER_ERROR', 'The ops API failed; details are in the gateway log.'));
      }
    },
  };
}

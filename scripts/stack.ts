import { randomBytes } from 'node:crypto';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createCacheStore, type CacheStore, type RedisStore, type RedisStoreOptions } from '../common/cache';
import { identitySecret } from '../common/identity';
import { listen, type Listening } from '../common/listen';
import { silentLogger, type Logger } from '../common/logger';
import { STAND_IN_NAMES, SUBGRAPH_NAMES, type StandInName, type SubgraphName } from '../common/services';
import type { GatewayConfigInput } from '../gateway/src/config';
import { createGateway, type Gateway } from '../gateway/src/server';
import type { EntityCache } from '../gateway/src/cache/entity-cache';
import type { StandIn } from '../stand-ins/lib/stand-in';
import { STAND_IN_FACTORIES } from '../stand-ins/registry';
import { createHttpCache, type HttpCache, type UpstreamCachePolicy } from '../subgraphs/lib/http-cache';
import { createResilienceRegistry, type ResilienceOptions, type ResilienceRegistry } from '../subgraphs/lib/resilience';
import { SUBGRAPH_FACTORIES, type ClosableSubgraph } from '../subgraphs/registry';

/**
 * Starts the whole system in this process: stand-ins, then subgraphs, then the gateway.
 * Used by `npm start` (fixed ports) and by the integration tests (port 0 = ephemeral).
 */
export interface StackOptions {
  host?: string;
  /** Port per service; missing or 0 = ephemeral. */
  standInPorts?: Partial<Record<StandInName, number>>;
  subgraphPorts?: Partial<Record<SubgraphName, number>>;
  gatewayPort?: number;
  /** Use these upstream base URLs instead of starting stand-ins for them (real systems). */
  upstreamUrls?: Partial<Record<StandInName, string>>;
  subgraphTimeoutMs?: number;
  /** Secret of the gateway-signed identity header; a fresh random one when absent. */
  identitySecret?: string;
  gateway?: Omit<GatewayConfigInput, 'subgraphUrls' | 'host' | 'port' | 'identitySecret'>;
  /** Span processors for the gateway's tracer (tests: an in-memory exporter's). */
  spanProcessors?: readonly SpanProcessor[];
  logger?: Logger;
  /** Called as each part comes up (progress for the start script). */
  onProgress?: (message: string) => void;
  /**
   * The subgraphs' upstream HTTP cache (subgraphs/lib/http-cache.ts). Absent or `false`: no
   * cache, so the integration tests count exact upstream requests. Otherwise Redis when
   * `redisUrl` is given, a caller's `store` when given (not closed by the stack), else the
   * in-memory store.
   */
  upstreamCache?: false | UpstreamCacheSetup;
  /**
   * Upstream resilience of the subgraphs' REST transports (subgraphs/lib/resilience.ts): ONE
   * registry for the process, so every upstream gets its circuit breaker. Absent or `false`:
   * transports keep their default (retries, NO breaker), so integration tests count exact
   * upstream requests. `{}`: breaker and retries with the defaults; `breaker`/`retry` override.
   * Breaker transitions are logged (warn) with subgraph, upstream, states and reason only.
   */
  resilience?: false | Pick<ResilienceOptions, 'breaker' | 'retry'>;
  /** Receives the gateway's entity cache when `gateway.cache.enabled` (tests: invalidate, stats). */
  onEntityCache?: (cache: EntityCache) => void;
}

export interface UpstreamCacheSetup {
  /** `REDIS_URL`: the shared store. */
  redisUrl?: string;
  /** Redis options: `keyPrefix` (default `amtsgraph:`), `commandTimeoutMs` (default 50), back-off … */
  redis?: Omit<RedisStoreOptions, 'url' | 'logger'>;
  /** Use this store (e.g. a test's); the stack does not close it. */
  store?: CacheStore;
  /** Replaces values of every upstream's cache policy (a global cap; short TTLs in tests). */
  override?: UpstreamCachePolicy;
  /** How long start waits for Redis before going on uncached. Default 1000 ms. */
  redisConnectWaitMs?: number;
}

export interface Stack {
  gatewayUrl: string;
  gateway: Gateway;
  standIns: Partial<Record<StandInName, { standIn: StandIn; url: string; close(): Promise<void> }>>;
  subgraphs: Record<SubgraphName, { server: ClosableSubgraph; url: string; listening: Listening }>;
  upstreamUrls: Record<StandInName, string>;
  /** The subgraphs' upstream HTTP cache (`stats()`, `purge()`); null without one. */
  upstreamCache: HttpCache | null;
  /** The subgraphs' upstream resilience registry (breaker `stats()`); null without `resilience`. */
  resilience: ResilienceRegistry | null;
  /** Stops one stand-in (for partial-failure tests); `restartStandIn` brings it back on the same port. */
  stopStandIn(name: StandInName): Promise<void>;
  restartStandIn(name: StandInName): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const progress = options.onProgress ?? (() => {});
  const standIns: Stack['standIns'] = {};
  const upstreamUrls = {} as Record<StandInName, string>;
  const closers: (() => Promise<void>)[] = [];
  const secretValue = options.identitySecret ?? randomBytes(32).toString('base64url');
  const secret = identitySecret(secretValue);
  let upstreamCache: HttpCache | null = null;
  /** The store the stack created (and closes); a caller's own store stays open. */
  let ownedStore: CacheStore | undefined;
  /** ONE store per process: the upstream cache and the gateway's entity cache share it. */
  let sharedStore: CacheStore | undefined;
  const resilienceLogger = logger.child({ component: 'upstream-resilience' });
  const resilience: ResilienceRegistry | null = options.resilience
    ? createResilienceRegistry({
        ...options.resilience,
        breaker: options.resilience.breaker ?? {},
        onTransition: (t) => resilienceLogger.warn({ subgraph: t.subgraph, upstream: t.upstream, from: t.from, to: t.to, reason: t.reason }, 'circuit breaker transition'),
      })
    : null;

  try {
    const cacheSetup = options.upstreamCache;
    if (cacheSetup) {
      const store =
        cacheSetup.store ??
        createCacheStore({
          redisUrl: cacheSetup.redisUrl,
          logger: logger.child({ component: 'upstream-cache' }),
          redis: cacheSetup.redis,
        });
      if (!cacheSetup.store) ownedStore = store;
      sharedStore = store;
      upstreamCache = createHttpCache({ store, override: cacheSetup.override, logger: logger.child({ component: 'upstream-cache' }) });
      logger.info({ component: 'upstream-cache', store: store.description }, 'upstream cache');
      if (store.kind === 'redis' && !cacheSetup.store) {
        const connected = await (store as RedisStore).whenReady(cacheSetup.redisConnectWaitMs ?? 1_000);
        progress(
          connected
            ? `upstream cache: ${store.description}`
            : `upstream cache: ${store.description} NOT reachable; serving uncached until it answers`,
        );
      } else {
        progress(
          store.kind === 'memory'
            ? `upstream cache: ${store.description}; set REDIS_URL to share it through Redis`
            : `upstream cache: ${store.description}`,
        );
      }
    }

    for (const name of STAND_IN_NAMES) {
      const external = options.upstreamUrls?.[name];
      if (external) {
        upstreamUrls[name] = external;
        progress(`upstream ${name}: using ${external}`);
        continue;
      }
      const standIn = STAND_IN_FACTORIES[name]({ logger: logger.child({ component: `stand-in-${name}` }) });
      const running = await standIn.listen(options.standInPorts?.[name] ?? 0, host);
      standIns[name] = { standIn, url: running.url, close: running.close };
      upstreamUrls[name] = running.url;
      progress(`stand-in ${name.padEnd(10)} ${running.url}`);
    }

    const subgraphs = {} as Stack['subgraphs'];
    for (const name of SUBGRAPH_NAMES) {
      const server = SUBGRAPH_FACTORIES[name]({
        upstreams: upstreamUrls,
        timeoutMs: options.subgraphTimeoutMs,
        logger: logger.child({ component: `subgraph-${name}` }),
        identitySecret: secret,
        cache: upstreamCache ?? undefined,
        resilience: resilience ?? undefined,
      });
      const listening = await listen(server, options.subgraphPorts?.[name] ?? 0, host, '/graphql');
      subgraphs[name] = { server, url: listening.url, listening };
      closers.push(async () => {
        await listening.close();
        await server.close();
      });
      progress(`subgraph ${name.padEnd(10)} ${listening.url}`);
    }

    const subgraphUrls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, subgraphs[n].url]));
    const gateway = await createGateway(
      { ...options.gateway, subgraphUrls, identitySecret: secretValue },
      {
        logger: logger.child({ component: 'gateway' }),
        spanProcessors: options.spanProcessors,
        // Without an upstream cache the gateway creates its own store from `gateway.cache.redisUrl`.
        cacheStore: sharedStore,
        onEntityCache: options.onEntityCache,
      },
    );
    const gatewayListening = await listen(gateway.yoga, options.gatewayPort ?? 0, host, '/graphql');
    closers.push(async () => {
      await gatewayListening.close();
      await gateway.stop();
    });
    progress(`gateway             ${gatewayListening.url}`);

    const stack: Stack = {
      gatewayUrl: gatewayListening.url,
      gateway,
      standIns,
      subgraphs,
      upstreamUrls,
      upstreamCache,
      resilience,
      async stopStandIn(name) {
        await standIns[name]?.close();
      },
      async restartStandIn(name) {
        const entry = standIns[name];
        if (!entry) return;
        const port = Number(new URL(entry.url).port);
        const running = await entry.standIn.listen(port, host);
        entry.close = running.close;
      },
      async stop() {
        for (const close of closers.reverse()) await close().catch(() => {});
        for (const entry of Object.values(standIns)) await entry?.close().catch(() => {});
        await ownedStore?.close();
      },
    };
    return stack;
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => {});
    for (const entry of Object.values(standIns)) await entry?.close().catch(() => {});
    await ownedStore?.close();
    throw error;
  }
}

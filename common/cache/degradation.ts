import type { Logger } from '../logger';
import { positiveInt } from './store';

/**
 * How a remote cache store degrades instead of failing requests. Every store operation runs
 * through `guard.run(op)`, which
 *
 * - skips the operation at once when the store is not connected (`not-connected`), or while
 *   the circuit is open after `failureThreshold` consecutive failures (`circuit-open`): no
 *   request waits for a store that is known to be down, and a hanging Redis cannot pile up
 *   commands;
 * - gives up after `timeoutMs` (`timeout`): a slow store costs a request at most that long
 *   (measured so that a stall of this process's own event loop is not taken for a slow store);
 * - turns a rejected operation into `error`.
 *
 * After `openMs` the circuit lets operations through again ("half-open"); the first success
 * closes it, so caching resumes by itself when the store is back.
 *
 * Each skipped or failed operation is counted. A warning is logged at most once per
 * `warnIntervalMs` (with the number of operations since the last warning), and one info line
 * when the store answers again, so an outage cannot flood the log.
 */
export type Unavailability = 'not-connected' | 'circuit-open' | 'timeout' | 'error';

export type Guarded<T> = { ok: true; value: T } | { ok: false; reason: Unavailability };

export interface DegradationGuardOptions {
  /** Names the store in log lines, e.g. `redis`. */
  store: string;
  /** Longest time one operation may take. Default 50 ms. */
  timeoutMs?: number;
  /** Consecutive failures that open the circuit. Default 3. */
  failureThreshold?: number;
  /** How long the circuit stays open before trying again. Default 1000 ms. */
  openMs?: number;
  /** Minimum time between two "unavailable" warnings. Default 30000 ms. */
  warnIntervalMs?: number;
  logger: Logger;
  now?: () => number;
}

export interface DegradationStats {
  unavailable: number;
  timeouts: number;
  errors: number;
  circuitOpen: boolean;
}

export interface DegradationGuard {
  /** Runs `op` when `connected` and the circuit allows; never rejects. */
  run<T>(connected: boolean, op: () => Promise<T>, timeoutMs?: number): Promise<Guarded<T>>;
  /** Whether operations would currently be attempted (given the connection state). */
  allows(connected: boolean): boolean;
  stats(): DegradationStats;
}

export function createDegradationGuard(options: DegradationGuardOptions): DegradationGuard {
  const timeoutMs = positiveInt('cache store timeoutMs', options.timeoutMs, 50);
  const failureThreshold = positiveInt('cache store failureThreshold', options.failureThreshold, 3);
  const openMs = positiveInt('cache store openMs', options.openMs, 1_000);
  const warnIntervalMs = positiveInt('cache store warnIntervalMs', options.warnIntervalMs, 30_000, 0);
  const now = options.now ?? Date.now;
  const logger = options.logger;

  let consecutiveFailures = 0;
  let openUntil = 0;
  let degraded = false;
  let lastWarnAt = -Infinity;
  let sinceLastWarn = 0;
  const counts = { unavailable: 0, timeouts: 0, errors: 0 };

  const failed = (reason: Unavailability, cause?: unknown): { ok: false; reason: Unavailability } => {
    counts.unavailable += 1;
    if (reason === 'timeout') counts.timeouts += 1;
    if (reason === 'error') counts.errors += 1;
    if (reason === 'timeout' || reason === 'error') {
      consecutiveFailures += 1;
      if (consecutiveFailures >= failureThreshold) openUntil = now() + openMs;
    }
    degraded = true;
    sinceLastWarn += 1;
    const at = now();
    if (at - lastWarnAt >= warnIntervalMs) {
      logger.warn(
        {
          store: options.store,
          reason,
          // Only the error's class and message: store errors carry no request data.
          cause: cause instanceof Error ? `${cause.name}: ${cause.message}` : undefined,
          operationsSinceLastWarning: sinceLastWarn,
          unavailableTotal: counts.unavailable,
        },
        'cache store unavailable; serving uncached',
      );
      lastWarnAt = at;
      sinceLastWarn = 0;
    }
    return { ok: false, reason };
  };

  const succeeded = () => {
    consecutiveFailures = 0;
    openUntil = 0;
    if (degraded) {
      degraded = false;
      logger.info({ store: options.store, unavailableTotal: counts.unavailable }, 'cache store available again');
    }
  };

  return {
    allows(connected) {
      return connected && now() >= openUntil;
    },
    async run<T>(connected: boolean, op: () => Promise<T>, opTimeoutMs = timeoutMs): Promise<Guarded<T>> {
      if (!connected) return failed('not-connected');
      if (now() < openUntil) return failed('circuit-open');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = Symbol('timeout');
      // A lost race must not become an unhandled rejection when the store answers late.
      const pending = (async () => op())();
      pending.catch(() => {});
      try {
        const result = await Promise.race([
          pending,
          new Promise<typeof timedOut>((resolve) => {
            // When the timer fires, let one I/O poll phase run first (setImmediate runs right
            // after it): if the event loop itself was blocked (a query plan, a big JSON body),
            // the store's reply may already be waiting in the socket, and it would be wrong to
            // blame the store for our own stall.
            timer = setTimeout(() => setImmediate(() => resolve(timedOut)), opTimeoutMs);
          }),
        ]);
        if (result === timedOut) return failed('timeout');
        succeeded();
        return { ok: true, value: result as T };
      } catch (error) {
        return failed('error', error);
      } finally {
        clearTimeout(timer);
      }
    },
    stats() {
      return { ...counts, circuitOpen: now() < openUntil };
    },
  };
}

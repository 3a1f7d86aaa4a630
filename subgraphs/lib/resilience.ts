import { amtsError } from '../../common/errors';

/**
 * Resilience of one upstream REST service: retries with jittered exponential back-off and a
 * circuit breaker. Used by the REST transport (rest.ts) around every upstream request; a
 * cache hit never gets here.
 *
 * Retries (contract):
 * - only for idempotent reads (GET); a non-idempotent call is attempted exactly once;
 * - only on HTTP 502/503/504/429, refused/reset connections and timeouts; never on 4xx
 *   (404 is an answer, 400 is our bug), 500/501, or malformed bodies;
 * - at most `maxRetries` (default 2) after the first attempt; delay before retry n (n = 1, 2, …)
 *   is `min(maxDelayMs, baseDelayMs · 2^(n-1))`, half of it fixed and half random ("equal
 *   jitter"), so that many subgraph processes do not retry in lock-step;
 * - an upstream `Retry-After` (seconds or HTTP date) replaces that delay, capped at
 *   `retryAfterCapMs` (a vendor asking for an hour does not park a request for an hour);
 * - the whole call (attempts + delays) stays within `deadlineMs` (default 1.5 × the
 *   per-request timeout): a retry is only started when its delay plus a minimal attempt
 *   (`minAttemptMs`) still fits, and each attempt's timeout is cut to what is left.
 *
 * Circuit breaker (one per upstream transport):
 * - `closed`: calls go through; every failed attempt (connection error, timeout, 5xx, 429,
 *   malformed body) counts, every answered attempt (2xx, 304, 404, other 4xx) resets the count;
 * - it opens after `failureThreshold` (default 5) consecutive failed attempts, or, with
 *   `failureRatio`, when at least `minimumRequests` attempts in the last `windowMs` failed at
 *   that ratio or more;
 * - `open`: every call fails at once with DOWNSTREAM_SERVICE_ERROR, extensions
 *   `{ circuit: "open" }`, without an upstream request, for `coolDownMs` (default 10 s);
 * - `half-open`: after the cool-down exactly ONE call (the probe) goes through; others
 *   still fail at once. The probe's success closes the breaker, its failure opens it again
 *   for another cool-down.
 * State, counters and the last transitions are in `stats()`; `onTransition` is called on
 * every change (ops view, logs). Nothing of a request (URL, query, body) is kept.
 *
 * Cancellation (`signal` of `execute`): when the caller goes away, the call stops at once,
 * whether it is waiting for an attempt or in a back-off sleep. A cancelled call is no
 * verdict on the upstream: the aborted attempt is neither counted nor recorded (the breaker's
 * state, its counters and its window stay as they were; a cancelled probe frees the probe
 * slot, the breaker stays half-open), and it is never retried.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface RetryOptions {
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number;
  /** Back-off base. Default 100 ms. */
  baseDelayMs?: number;
  /** Back-off cap. Default 2000 ms. */
  maxDelayMs?: number;
  /** Cap on a honoured Retry-After. Default 5000 ms. */
  retryAfterCapMs?: number;
  /** Total time budget of one call including retries. Default 1.5 × the per-request timeout. */
  deadlineMs?: number;
  /** Smallest time an attempt must still have to be worth starting. Default 50 ms. */
  minAttemptMs?: number;
}

export interface BreakerOptions {
  /** Consecutive failed attempts that open the breaker. Default 5. */
  failureThreshold?: number;
  /** Optional: open when this share of attempts in the window failed (0 < ratio ≤ 1). */
  failureRatio?: { ratio: number; minimumRequests: number; windowMs: number };
  /** How long the breaker stays open before one probe may pass. Default 10000 ms. */
  coolDownMs?: number;
}

export interface ResilienceOptions {
  /** `false`: never retry. */
  retry?: RetryOptions | false;
  /** `false`: no circuit breaker. */
  breaker?: BreakerOptions | false;
  /** Called on every breaker state change. Must not throw (exceptions are swallowed). */
  onTransition?: (transition: BreakerTransition) => void;
  /** Test hooks. `sleep` may ignore the signal: a cancelled call stops waiting for it anyway. */
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface BreakerTransition {
  subgraph: string;
  upstream: string;
  from: BreakerState;
  to: BreakerState;
  /** Epoch ms. */
  at: number;
  reason: 'failure-threshold' | 'failure-ratio' | 'cool-down-elapsed' | 'probe-succeeded' | 'probe-failed';
}

export interface UpstreamResilienceStats {
  subgraph: string;
  upstream: string;
  state: BreakerState;
  consecutiveFailures: number;
  /** Epoch ms when an open breaker lets a probe through; null unless open. */
  retryAt: number | null;
  attempts: number;
  failures: number;
  retries: number;
  /** Calls answered at once because the breaker was open (or a probe was in flight). */
  shortCircuited: number;
  /** The last 20 transitions, oldest first. */
  transitions: BreakerTransition[];
}

/** What the transport says about one failed attempt. */
export interface AttemptVerdict {
  /** Worth another attempt (502/503/504/429, connection error, timeout). */
  retryable: boolean;
  /** Counts against the breaker (the upstream is unhealthy or broken). */
  breakerFailure: boolean;
  /** The upstream's Retry-After header value, if any. */
  retryAfter?: string;
}

export interface UpstreamResilience {
  /**
   * Runs `attempt` under the retry policy and the breaker. `attempt` gets the timeout for this
   * attempt (the per-request timeout, cut to the remaining deadline). Errors thrown by an
   * attempt are classified by `classify`; a successful return counts as an answer.
   *
   * `signal`: the caller went away. `attempt` should abort its request with it (it is not
   * passed on: the attempt has it from its caller). Once it is aborted, an attempt's error is
   * rethrown unclassified and unrecorded, a back-off sleep ends at once, and no further attempt
   * starts; the call rejects with the attempt's error or, between attempts, `signal.reason`.
   */
  execute<T>(
    attempt: (context: { timeoutMs: number; attempt: number }) => Promise<T>,
    options: { idempotent: boolean; classify: (error: unknown) => AttemptVerdict; signal?: AbortSignal },
  ): Promise<T>;
  state(): BreakerState;
  stats(): UpstreamResilienceStats;
}

const TRANSITION_LIMIT = 20;
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

function positive(name: string, value: number | undefined, fallback: number, { allowZero = false } = {}): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new Error(`resilience option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number; received ${String(value)}`);
  }
  return value;
}

/**
 * Parses a Retry-After value: delta-seconds ("2", "0.5" tolerated) or an HTTP date. Returns
 * the wait in ms (≥ 0), or null when absent or unparsable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return null;
  const text = raw.trim();
  if (text === '') return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/** Delay before retry `retry` (1-based): equal jitter over min(max, base · 2^(retry-1)). */
export function backoffDelayMs(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Waits `ms`, or until `signal` aborts (then the timer is cleared and it resolves early). */
function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when `promise` does or when `signal` aborts, whichever is first. */
function untilAborted(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return promise;
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    promise.then(done, (error: unknown) => {
      signal.removeEventListener('abort', done);
      reject(error);
    });
  });
}

export function createUpstreamResilience(
  where: { subgraph: string; upstream: string; timeoutMs: number },
  options: ResilienceOptions = {},
): UpstreamResilience {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? sleepUnlessAborted;
  const retry = options.retry === false ? null : options.retry ?? {};
  const maxRetries = retry ? positive('retry.maxRetries', retry.maxRetries, 2, { allowZero: true }) : 0;
  const baseDelayMs = positive('retry.baseDelayMs', retry?.baseDelayMs, 100, { allowZero: true });
  const maxDelayMs = positive('retry.maxDelayMs', retry?.maxDelayMs, 2_000, { allowZero: true });
  const retryAfterCapMs = positive('retry.retryAfterCapMs', retry?.retryAfterCapMs, 5_000, { allowZero: true });
  const deadlineMs = positive('retry.deadlineMs', retry?.deadlineMs, Math.round(where.timeoutMs * 1.5));
  const minAttemptMs = positive('retry.minAttemptMs', retry?.minAttemptMs, 50, { allowZero: true });
  const breaker = options.breaker === false ? null : options.breaker ?? {};
  const failureThreshold = positive('breaker.failureThreshold', breaker?.failureThreshold, 5);
  const coolDownMs = positive('breaker.coolDownMs', breaker?.coolDownMs, 10_000);
  const ratio = breaker?.failureRatio;
  if (ratio && !(ratio.ratio > 0 && ratio.ratio <= 1 && ratio.minimumRequests >= 1 && ratio.windowMs > 0)) {
    throw new Error(`resilience option breaker.failureRatio must have 0 < ratio ≤ 1, minimumRequests ≥ 1, windowMs > 0; received ${JSON.stringify(ratio)}`);
  }

  let state: BreakerState = 'closed';
  let consecutiveFailures = 0;
  let openedAt = 0;
  let probeInFlight = false;
  /** Outcomes in the ratio window (bounded: pruned by time, at most 10,000 kept). */
  let window: { at: number; failed: boolean }[] = [];
  const counters = { attempts: 0, failures: 0, retries: 0, shortCircuited: 0 };
  const transitions: BreakerTransition[] = [];

  const transition = (to: BreakerState, reason: BreakerTransition['reason']) => {
    if (state === to) return;
    const event: BreakerTransition = { subgraph: where.subgraph, upstream: where.upstream, from: state, to, at: now(), reason };
    state = to;
    if (to === 'open') openedAt = event.at;
    if (to === 'closed') window = [];
    transitions.push(event);
    if (transitions.length > TRANSITION_LIMIT) transitions.shift();
    try {
      options.onTransition?.(event);
    } catch {
      // an observer must not break the request path
    }
  };

  /** May an attempt start now? Moves open → half-open after the cool-down (this call is the probe). */
  const admit = (): { ok: true; probe: boolean } | { ok: false } => {
    if (!breaker) return { ok: true, probe: false };
    if (state === 'open') {
      if (now() - openedAt < coolDownMs) return { ok: false };
      transition('half-open', 'cool-down-elapsed');
    }
    if (state === 'half-open') {
      if (probeInFlight) return { ok: false };
      probeInFlight = true;
      return { ok: true, probe: true };
    }
    return { ok: true, probe: false };
  };

  /** A cancelled attempt says nothing about the upstream: it only gives the probe slot back. */
  const release = (probe: boolean) => {
    if (probe) probeInFlight = false;
  };

  const record = (failed: boolean, probe: boolean) => {
    counters.attempts += 1;
    if (failed) counters.failures += 1;
    if (!breaker) return;
    if (probe) {
      probeInFlight = false;
      consecutiveFailures = failed ? consecutiveFailures + 1 : 0;
      transition(failed ? 'open' : 'closed', failed ? 'probe-failed' : 'probe-succeeded');
      return;
    }
    if (state !== 'closed') return; // a late answer of a call admitted before the breaker opened
    consecutiveFailures = failed ? consecutiveFailures + 1 : 0;
    if (consecutiveFailures >= failureThreshold) return transition('open', 'failure-threshold');
    if (ratio) {
      const at = now();
      window.push({ at, failed });
      window = window.filter((o) => at - o.at <= ratio.windowMs).slice(-10_000);
      const failedCount = window.filter((o) => o.failed).length;
      if (window.length >= ratio.minimumRequests && failedCount / window.length >= ratio.ratio) transition('open', 'failure-ratio');
    }
  };

  const openError = () => {
    counters.shortCircuited += 1;
    const seconds = Math.max(0, Math.ceil((openedAt + coolDownMs - now()) / 1000));
    return amtsError(
      'DOWNSTREAM_SERVICE_ERROR',
      `${where.upstream} (behind subgraph ${where.subgraph}): circuit open after repeated failures; not asked again for ${seconds} s`,
      { subgraph: where.subgraph, upstream: where.upstream, circuit: 'open' },
    );
  };

  return {
    async execute(attempt, { idempotent, classify, signal }) {
      const started = now();
      const budget = idempotent ? deadlineMs : where.timeoutMs;
      const attemptsAllowed = idempotent ? maxRetries + 1 : 1;
      for (let n = 1; ; n += 1) {
        if (signal?.aborted) throw signal.reason;
        const admitted = admit();
        if (!admitted.ok) throw openError();
        const remaining = budget - (now() - started);
        try {
          const result = await attempt({ timeoutMs: Math.max(1, Math.min(where.timeoutMs, remaining)), attempt: n });
          record(false, admitted.probe);
          return result;
        } catch (error) {
          if (signal?.aborted) {
            release(admitted.probe);
            throw error;
          }
          const verdict = classify(error);
          record(verdict.breakerFailure, admitted.probe);
          if (!verdict.retryable || n >= attemptsAllowed) throw error;
          const retryAfterMs = parseRetryAfter(verdict.retryAfter, now());
          const delay = retryAfterMs !== null ? Math.min(retryAfterMs, retryAfterCapMs) : backoffDelayMs(n, baseDelayMs, maxDelayMs, random);
          const left = budget - (now() - started);
          if (delay + minAttemptMs > left) throw error;
          if (breaker && state === 'open') throw error; // do not wait for a breaker that just opened
          await untilAborted(sleep(delay, signal), signal);
          if (signal?.aborted) throw signal.reason; // cancelled during the back-off: no retry
          counters.retries += 1;
        }
      }
    },
    state() {
      return state;
    },
    stats() {
      return {
        subgraph: where.subgraph,
        upstream: where.upstream,
        state,
        consecutiveFailures,
        retryAt: state === 'open' ? openedAt + coolDownMs : null,
        ...counters,
        transitions: transitions.map((t) => ({ ...t })),
      };
    },
  };
}

/**
 * The resilience of every upstream transport of a process, for the ops view: transports
 * register here when given the registry (`RestTransportOptions.resilience`), and
 * `stats()` lists their breakers. `onTransition` sees every breaker's changes.
 */
export interface ResilienceRegistry {
  readonly options: ResilienceOptions;
  forUpstream(where: { subgraph: string; upstream: string; timeoutMs: number }): UpstreamResilience;
  stats(): UpstreamResilienceStats[];
}

export function createResilienceRegistry(options: ResilienceOptions = {}): ResilienceRegistry {
  const members: UpstreamResilience[] = [];
  return {
    options,
    forUpstream(where) {
      const member = createUpstreamResilience(where, options);
      members.push(member);
      return member;
    },
    stats() {
      return members.map((m) => m.stats());
    },
  };
}

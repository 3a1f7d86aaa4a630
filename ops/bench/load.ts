import { percentile } from './bench-lib';
import { cpuMs } from './processes';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => AutocannonInstance;

interface AutocannonInstance extends PromiseLike<unknown> {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, responseTimeMs: number) => void): void;
  on(event: 'reqError', listener: (error: Error) => void): void;
  stop(): void;
}

/**
 * One continuous autocannon load: warm-up, then the measured window, then a short tail, on
 * the same connections. The window is cut by two marks taken in this process: at each mark
 * the CPU time of the measured processes (/proc) and the upstream counter are read; responses
 * and their latencies are counted between the marks. In steady state the requests in flight
 * at both marks cancel out, so CPU ÷ responses is per request.
 * Every response body (warm-up included) is checked; a mismatch is an error.
 */
export interface LoadSpec {
  url: string;
  /** The JSON request body (POST). */
  body: string;
  check: (body: string) => boolean;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Processes whose CPU is measured over the window (the gateway child, the subgraphs). */
  gatewayPid?: number;
  subgraphsPid?: number;
  /** Reads a cumulative count of upstream requests (subgraph fetches, REST calls). */
  upstreamCount?: () => Promise<number>;
}

export interface LoadResult {
  responses: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  gatewayCpuMsPerRequest: number | null;
  subgraphsCpuMsPerRequest: number | null;
  upstreamPerRequest: number | null;
  /** CPU of this process (autocannon + the body checks) per response: the load generator's share. */
  loadGeneratorCpuMsPerRequest: number;
  /** Over the whole run, warm-up included. */
  errors: { mismatches: number; non200: number; requestErrors: number };
  /** The first wrong answer (status and the start of its body). */
  firstError: string | null;
}

const TAIL_SECONDS = 0.5;

export async function measureLoad(spec: LoadSpec): Promise<LoadResult> {
  const errors = { mismatches: 0, non200: 0, requestErrors: 0 };
  let firstError: string | null = null;
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    pipelining: 1,
    duration: spec.warmupSeconds + spec.durationSeconds + TAIL_SECONDS,
    timeout: 60,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: spec.body,
        onResponse: (status: number, body: string) => {
          if (status !== 200) errors.non200++;
          else if (!spec.check(body)) errors.mismatches++;
          else return;
          firstError ??= `HTTP ${status}: ${body.slice(0, 300)}`;
        },
      },
    ],
  });
  let measuring = false;
  const latencies: number[] = [];
  instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
    if (measuring) latencies.push(responseTimeMs);
  });
  instance.on('reqError', (error) => {
    errors.requestErrors++;
    firstError ??= `request error: ${error.message}`;
  });

  const sample = () => ({
    at: process.hrtime.bigint(),
    gateway: spec.gatewayPid ? cpuMs(spec.gatewayPid) : null,
    subgraphs: spec.subgraphsPid ? cpuMs(spec.subgraphsPid) : null,
    self: process.cpuUsage(),
  });
  const at = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const window = (async () => {
    await at(spec.warmupSeconds);
    const start = sample();
    measuring = true;
    const upstreamStart = spec.upstreamCount?.();
    await at(spec.durationSeconds);
    measuring = false;
    const end = sample();
    const upstreamEnd = spec.upstreamCount?.();
    return { start, end, upstream: upstreamStart && upstreamEnd ? (await upstreamEnd) - (await upstreamStart) : null };
  })();
  const [{ start, end, upstream }] = await Promise.all([window, instance]).catch((error: unknown) => {
    instance.stop();
    throw error;
  });
  const responses = latencies.length;
  const seconds = Number(end.at - start.at) / 1e9;
  const perRequest = (a: number | null, b: number | null) => (a !== null && b !== null && responses ? (b - a) / responses : null);
  return {
    responses,
    seconds,
    rps: responses / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    gatewayCpuMsPerRequest: perRequest(start.gateway, end.gateway),
    subgraphsCpuMsPerRequest: perRequest(start.subgraphs, end.subgraphs),
    upstreamPerRequest: upstream !== null && responses ? upstream / responses : null,
    loadGeneratorCpuMsPerRequest: responses ? (end.self.user + end.self.system - start.self.user - start.self.system) / 1000 / responses : NaN,
    errors,
    firstError,
  };
}

/**
 * POSTs `body` until the answer passes `check` (cold start); returns ms since `since`. A
 * wrong 200 answer is retried for at most 10 s (a gateway may answer before its schema loaded).
 */
export async function firstGoodAnswer(url: string, body: string, check: (body: string) => boolean, since: bigint, timeoutMs = 60_000): Promise<number> {
  let deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await response.text();
      if (response.status === 200 && check(text)) return Number(process.hrtime.bigint() - since) / 1e6;
      if (!last) deadline = Math.min(deadline, Date.now() + 10_000);
      last = `HTTP ${response.status}: ${text.slice(0, 500)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no correct answer from ${url} within ${timeoutMs / 1000} s; last: ${last || 'nothing'}`);
}

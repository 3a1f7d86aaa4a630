import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Kind, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { Pool } from 'undici';
import type { Logger } from '../../../common/logger';
import { createBatchCombiner, isBatchable } from './batch';
import type { EngineContext, FetchInfo, FetchInterceptor, FetchObserver, FetchOutcome, SubgraphResponse } from './types';

/**
 * A lean subgraph client on a keep-alive undici Pool, replacing Apollo's
 * RemoteGraphQLDataSource (whose make-fetch-happen stack was the largest CPU item in the
 * profile, shared/notes). A subgraph that cannot be reached, times out or answers something
 * that is not a GraphQL response becomes a GraphQL error with code DOWNSTREAM_SERVICE_ERROR
 * and the subgraph's name, anchored at the part of the response it would have filled, so
 * the rest of the response is still served.
 */
export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  timeoutMs: number;
  logger: Logger;
  /**
   * Observers of every fetch (engine.observeFetches): they may add headers (the fetch span's
   * `traceparent`, which replaces a forwarded one) and are told the outcome. The engine owns
   * the array; observers added later are seen by later fetches.
   */
  observers?: readonly FetchObserver[];
  /** The engine's fetch interceptor (entity cache), read at each fetch; absent = none. */
  interception?: { readonly interceptor: FetchInterceptor | null };
  /**
   * Share one subgraph request among identical in-flight fetches (same operation, variables
   * and caller identity; queries only). Default true.
   */
  dedupeInFlight?: boolean;
  /**
   * Send the entity fetches one client request starts in the same tick to this subgraph as
   * one request (batch.ts). Default true.
   */
  batch?: boolean;
}

/**
 * Identical fetches share a request only within one authorization partition: the caller's
 * subject, scopes, municipality and purpose (or "anonymous"). Mutations are never shared.
 * The key ends with the request body, which is serialised once per fetch (requestBody).
 */
function inFlightKey(request: GraphQLDataSourceProcessOptions): string | null {
  const query = request.request.query ?? '';
  if (/^\s*(mutation|subscription)\b/.test(query)) return null;
  const identity = (request.context as Partial<EngineContext> & { identity?: { anonymous: boolean; sub: string | null; scopes: string[]; ags: string | null; purpose: string | null } }).identity;
  const partition = !identity || identity.anonymous
    ? `anonymous:${identity?.purpose ?? ''}`
    : [identity.sub, [...identity.scopes].sort().join(' '), identity.ags, identity.purpose].join('\u0000');
  return `${partition}\u0001${requestBody(request)}`;
}

/** The JSON body of a subgraph request, serialised once per request object. */
const bodies = new WeakMap<object, string>();
function requestBody(request: GraphQLDataSourceProcessOptions): string {
  let body = bodies.get(request.request);
  if (body === undefined) {
    body = JSON.stringify({
      query: request.request.query,
      variables: request.request.variables,
      operationName: request.request.operationName,
    });
    bodies.set(request.request, body);
  }
  return body;
}

/** `max-age` (or `s-maxage`) of a subgraph response's Cache-Control, by response object. */
const maxAges = new WeakMap<object, number>();
/** The body text a parsed subgraph answer came from: de-duplicated waiters get their own parse. */
const bodyTexts = new WeakMap<object, string>();

function parseMaxAge(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return null;
  if (/(^|,)\s*(no-store|no-cache|private)\b/i.test(value)) return 0;
  const match = /(?:^|,)\s*s-maxage=(\d+)/i.exec(value) ?? /(?:^|,)\s*max-age=(\d+)/i.exec(value);
  return match ? Number(match[1]) : null;
}

const MAX_ERROR_CODES = 20;

type RawAnswer =
  | { kind: 'answer'; statusCode: number; text: string; cacheControl: string | string[] | undefined }
  | { kind: 'too_large'; statusCode: number }
  | { kind: 'timeout' | 'unreachable'; message: string }
  | { kind: 'cancelled' };

interface BatchEntry {
  request: GraphQLDataSourceProcessOptions;
  outcome: FetchOutcome;
  resolve(response: GatewayGraphQLResponse): void;
}

/** A body that is a GraphQL response (an object with `data` or `errors`), else null. */
function parseGraphQLResponse(text: string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || (!('data' in parsed) && !('errors' in parsed))) return null;
  return parsed as Record<string, unknown>;
}

const MAX_RESPONSE_BYTES = 50 * 1024 * 1024;

function rootResponseKeys(document: DocumentNode | undefined): string[] {
  const operation = document?.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) return [];
  return operation.selectionSet.selections.flatMap((s) =>
    s.kind === Kind.FIELD ? [s.alias?.value ?? s.name.value] : [],
  );
}

export class SubgraphDataSource implements GraphQLDataSource {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly inFlight = new Map<string, Promise<GatewayGraphQLResponse>>();
  /** Entity fetches waiting for the end of the tick, per client request (its context object). */
  private readonly batches = new WeakMap<object, BatchEntry[]>();
  private readonly combiner = createBatchCombiner();

  constructor(private readonly options: SubgraphDataSourceOptions) {
    const url = new URL(options.url);
    this.pool = new Pool(url.origin, { connections: 32, keepAliveTimeout: 4_000, pipelining: 1 });
    this.path = url.pathname + url.search;
  }

  async process(request: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const interceptor = this.options.interception?.interceptor;
    if (!interceptor) return this.deduped(request);
    const variables = request.request.variables as Record<string, unknown> | undefined;
    const info = {
      subgraph: this.options.name,
      operation: request.request.query ?? '',
      entity: Boolean(variables && 'representations' in variables),
      variables,
    };
    return (await interceptor(request.context as EngineContext, info, async (nextVariables) => {
      const next = nextVariables === variables ? request : { ...request, request: { ...request.request, variables: nextVariables } };
      const response = await this.deduped(next as GraphQLDataSourceProcessOptions);
      return { response: response as SubgraphResponse, maxAgeSeconds: maxAges.get(response) ?? null };
    })) as GatewayGraphQLResponse;
  }

  /**
   * One subgraph request for identical in-flight fetches (see inFlightKey). The first caller
   * gets the response; the others get copies taken before anyone can change it (the plan
   * executor rewrites entities in place).
   */
  private deduped(request: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const key = this.options.dedupeInFlight === false ? null : inFlightKey(request);
    if (key === null) return this.observed(request);
    const pending = this.inFlight.get(key);
    if (pending) {
      return pending.then((response) => {
        // Parsing the body again is cheaper than structuredClone of the parsed answer.
        const text = bodyTexts.get(response);
        const copy = (text === undefined ? structuredClone(response) : JSON.parse(text)) as GatewayGraphQLResponse;
        const maxAge = maxAges.get(response);
        if (maxAge !== undefined) maxAges.set(copy, maxAge);
        return copy;
      });
    }
    const shared = this.observed(request).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, shared);
    return shared.then((response) => response);
  }

  /** One fetch as the observers (tracing, metrics, plan monitor) see it. */
  private async observed(request: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const observers = this.options.observers ?? [];
    const outcome: FetchOutcome = { durationMs: 0, status: null, failure: null, errorCodes: [] };
    if (!observers.length) return this.send(request, {}, outcome);
    const context = request.context as EngineContext;
    const variables = request.request.variables;
    const info: FetchInfo = {
      subgraph: this.options.name,
      operation: request.request.query ?? '',
      entity: Boolean(variables && 'representations' in variables),
    };
    const observations: Exclude<ReturnType<FetchObserver>, void>[] = [];
    const extraHeaders: Record<string, string> = {};
    for (const observer of observers) {
      try {
        const observation = observer(context, info);
        if (!observation) continue;
        observations.push(observation);
        Object.assign(extraHeaders, observation.headers);
      } catch (error) {
        this.options.logger.error({ err: error, subgraph: info.subgraph }, 'fetch observer failed');
      }
    }
    const started = performance.now();
    const response = await this.send(request, extraHeaders, outcome);
    outcome.durationMs = performance.now() - started;
    if (!outcome.failure && response.errors?.length) {
      outcome.errorCodes = response.errors.slice(0, MAX_ERROR_CODES).map((e) => {
        const code = (e as { extensions?: { code?: unknown } }).extensions?.code;
        return typeof code === 'string' ? code : 'UNKNOWN';
      });
    }
    for (const observation of observations) {
      try {
        observation.done?.(outcome);
      } catch (error) {
        this.options.logger.error({ err: error, subgraph: info.subgraph }, 'fetch observer failed');
      }
    }
    return response;
  }

  /**
   * One logical fetch. Entity fetches of the same client request that start in the same tick
   * are sent to the subgraph as ONE request (batch.ts); everything else is sent alone.
   */
  private async send(
    request: GraphQLDataSourceProcessOptions,
    extraHeaders: Record<string, string>,
    outcome: FetchOutcome,
  ): Promise<GatewayGraphQLResponse> {
    const engineContext = request.context as Partial<EngineContext>;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(engineContext.forwardHeaders ?? {}),
      ...extraHeaders,
    };
    // The request's deadline (GatewayContext.signal, plugins/use-request-deadline.ts) cancels
    // this fetch too: undici aborts it and closes the connection, so the subgraph sees it.
    const requestSignal = (request.context as { signal?: AbortSignal }).signal;
    if (this.options.batch !== false && request.context && isBatchable(request)) {
      return new Promise((resolve) => {
        let queue = this.batches.get(request.context as object);
        if (!queue) {
          queue = [];
          this.batches.set(request.context as object, queue);
          queueMicrotask(() => {
            this.batches.delete(request.context as object);
            void this.flush(queue!, headers, requestSignal);
          });
        }
        queue.push({ request, outcome, resolve });
      });
    }
    const raw = await this.transport(requestBody(request), headers, requestSignal);
    return this.interpret(request, raw, outcome);
  }

  /** Sends a tick's entity fetches of one client request: alone, or combined (batch.ts). */
  private async flush(queue: BatchEntry[], headers: Record<string, string>, requestSignal: AbortSignal | undefined): Promise<void> {
    const combined = queue.length > 1 ? this.combiner.combine(queue.map((e) => e.request.request)) : null;
    if (!combined) {
      await Promise.all(
        queue.map(async (entry) => entry.resolve(this.interpret(entry.request, await this.transport(requestBody(entry.request), headers, requestSignal), entry.outcome))),
      );
      return;
    }
    const raw = await this.transport(combined.body, headers, requestSignal);
    if (raw.kind !== 'answer') {
      for (const entry of queue) entry.resolve(this.interpret(entry.request, raw, entry.outcome));
      return;
    }
    const parsed = parseGraphQLResponse(raw.text);
    if (!parsed) {
      for (const entry of queue) entry.resolve(this.interpret(entry.request, raw, entry.outcome));
      return;
    }
    const parts = combined.split(parsed);
    const maxAge = parseMaxAge(raw.cacheControl);
    queue.forEach((entry, index) => {
      entry.outcome.status = raw.statusCode;
      const part = parts[index]!;
      if (maxAge !== null) maxAges.set(part, maxAge);
      entry.resolve(part as GatewayGraphQLResponse);
    });
  }

  /** One POST to the subgraph. */
  private async transport(body: string, headers: Record<string, string>, requestSignal: AbortSignal | undefined): Promise<RawAnswer> {
    const { timeoutMs } = this.options;
    const timeoutSignal = AbortSignal.timeout(timeoutMs);
    const signal = requestSignal ? AbortSignal.any([timeoutSignal, requestSignal]) : timeoutSignal;
    try {
      const response = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers,
        body,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const length = Number(response.headers['content-length'] ?? 0);
      if (length > MAX_RESPONSE_BYTES) {
        await response.body.dump();
        return { kind: 'too_large', statusCode: response.statusCode };
      }
      const text = await response.body.text();
      return { kind: 'answer', statusCode: response.statusCode, text, cacheControl: response.headers['cache-control'] };
    } catch (error) {
      if (requestSignal?.aborted) return { kind: 'cancelled' };
      const errorName = (error as Error).name;
      const timedOut = errorName === 'TimeoutError' || errorName === 'AbortError' || errorName.includes('Timeout');
      return { kind: timedOut ? 'timeout' : 'unreachable', message: (error as Error).message };
    }
  }

  /** A raw answer as the GraphQL response of one logical fetch; records status and failure into `outcome`. */
  private interpret(request: GraphQLDataSourceProcessOptions, raw: RawAnswer, outcome: FetchOutcome): GatewayGraphQLResponse {
    const { name, timeoutMs } = this.options;
    const logger = (request.context as Partial<EngineContext>).logger ?? this.options.logger;
    const failed = (reason: string, failure: NonNullable<FetchOutcome['failure']>): GatewayGraphQLResponse => {
      outcome.failure = failure;
      const isEntityFetch = Boolean(request.request.variables && 'representations' in request.request.variables);
      let document = 'document' in request ? (request.document as DocumentNode | undefined) : undefined;
      if (!document && request.request.query) {
        try {
          document = parse(request.request.query);
        } catch {
          document = undefined;
        }
      }
      // An empty path anchors an entity fetch at the entities it would have extended; a root
      // fetch is anchored at each root field it would have answered.
      const paths: (string | number)[][] = isEntityFetch ? [[]] : rootResponseKeys(document).map((k) => [k]);
      return {
        errors: (paths.length ? paths : [[]]).map((path) => ({
          message: `Subgraph "${name}" ${reason}`,
          path,
          extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', subgraph: name },
        })) as unknown as GatewayGraphQLResponse['errors'],
      };
    };
    switch (raw.kind) {
      case 'cancelled':
        logger.warn({ subgraph: name }, 'subgraph fetch cancelled: request deadline passed');
        return failed('was cancelled: the request deadline passed', 'timeout');
      case 'timeout':
      case 'unreachable':
        logger.warn({ subgraph: name, err: raw.message }, 'subgraph fetch failed');
        return failed(raw.kind === 'timeout' ? `did not answer within ${timeoutMs} ms` : 'is not reachable', raw.kind);
      case 'too_large':
        outcome.status = raw.statusCode;
        return failed('answered a response larger than the gateway accepts', 'too_large');
      case 'answer':
        break;
    }
    outcome.status = raw.statusCode;
    const parsed = parseGraphQLResponse(raw.text);
    if (!parsed) {
      logger.warn({ subgraph: name, statusCode: raw.statusCode }, 'subgraph answered a body that is not a GraphQL response');
      return failed(`answered HTTP ${raw.statusCode} with a body that is not a GraphQL response`, 'invalid_response');
    }
    const maxAge = parseMaxAge(raw.cacheControl);
    if (maxAge !== null) maxAges.set(parsed, maxAge);
    bodyTexts.set(parsed, raw.text);
    return parsed as GatewayGraphQLResponse;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

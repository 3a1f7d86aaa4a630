import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Kind, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { Pool } from 'undici';
import type { Logger } from '../../../common/logger';
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

function parseMaxAge(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return null;
  if (/(^|,)\s*(no-store|no-cache|private)\b/i.test(value)) return 0;
  const match = /(?:^|,)\s*s-maxage=(\d+)/i.exec(value) ?? /(?:^|,)\s*max-age=(\d+)/i.exec(value);
  return match ? Number(match[1]) : null;
}

const MAX_ERROR_CODES = 20;

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
        const copy = structuredClone(response);
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

  /** One POST to the subgraph; records status and transport failure into `outcome`. */
  private async send(
    request: GraphQLDataSourceProcessOptions,
    extraHeaders: Record<string, string>,
    outcome: FetchOutcome,
  ): Promise<GatewayGraphQLResponse> {
    const { name, timeoutMs } = this.options;
    const engineContext = request.context as Partial<EngineContext>;
    const logger = engineContext.logger ?? this.options.logger;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(engineContext.forwardHeaders ?? {}),
      ...extraHeaders,
    };
    const body = requestBody(request);
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

    let statusCode: number;
    let text: string;
    let cacheControl: string | string[] | undefined;
    // The request's deadline (GatewayContext.signal, plugins/use-request-deadline.ts) cancels
    // this fetch too: undici aborts it and closes the connection, so the subgraph sees it.
    const requestSignal = (request.context as { signal?: AbortSignal }).signal;
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
      statusCode = response.statusCode;
      outcome.status = statusCode;
      cacheControl = response.headers['cache-control'];
      const length = Number(response.headers['content-length'] ?? 0);
      if (length > MAX_RESPONSE_BYTES) {
        await response.body.dump();
        return failed('answered a response larger than the gateway accepts', 'too_large');
      }
      text = await response.body.text();
    } catch (error) {
      const errorName = (error as Error).name;
      const timedOut = errorName === 'TimeoutError' || errorName === 'AbortError' || errorName.includes('Timeout');
      if (requestSignal?.aborted) {
        logger.warn({ subgraph: name }, 'subgraph fetch cancelled: request deadline passed');
        return failed('was cancelled: the request deadline passed', 'timeout');
      }
      logger.warn({ subgraph: name, err: (error as Error).message }, 'subgraph fetch failed');
      return failed(timedOut ? `did not answer within ${timeoutMs} ms` : 'is not reachable', timedOut ? 'timeout' : 'unreachable');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      logger.warn({ subgraph: name, statusCode }, 'subgraph answered a body that is not JSON');
      return failed(`answered HTTP ${statusCode} with a body that is not a GraphQL response`, 'invalid_response');
    }
    if (!parsed || typeof parsed !== 'object' || (!('data' in parsed) && !('errors' in parsed))) {
      return failed(`answered HTTP ${statusCode} with a body that is not a GraphQL response`, 'invalid_response');
    }
    const maxAge = parseMaxAge(cacheControl);
    if (maxAge !== null) maxAges.set(parsed, maxAge);
    return parsed as GatewayGraphQLResponse;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

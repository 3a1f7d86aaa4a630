import { GraphQLError, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ERROR_CODES, type ErrorCode } from '../../../common/errors';

/**
 * Gives every error a catalogued `extensions.code` (common/errors.ts):
 * - syntax errors → GRAPHQL_PARSE_FAILED, schema validation errors → GRAPHQL_VALIDATION_FAILED;
 * - Yoga's HTTP-level request errors (invalid JSON body, missing query, unknown operation
 *   name, variables that are not an object) → BAD_REQUEST, always with HTTP 400;
 * - limit errors (LIMIT_CODES) are request errors of a well-formed request, like validation
 *   errors: 400 with application/graphql-response+json, 200 with application/json;
 * - codes from outside the catalogue are mapped into it, keeping the HTTP status;
 * - Yoga's bodiless 404, 406 and 415 get a JSON body with NOT_FOUND, NOT_ACCEPTABLE,
 *   UNSUPPORTED_MEDIA_TYPE (same status).
 * Codes already in the catalogue (from subgraphs or other plugins) are kept.
 */
const CATALOGUE = new Set(Object.keys(ERROR_CODES));

/** Codes of the limits on what one request may ask (use-limits.ts; the authorization's size bound). */
const LIMIT_CODES = new Set<string>([
  'MAX_TOKENS_EXCEEDED',
  'MAX_DEPTH_EXCEEDED',
  'MAX_ALIASES_EXCEEDED',
  'MAX_DIRECTIVES_EXCEEDED',
  'COST_LIMIT_EXCEEDED',
] satisfies ErrorCode[]);

/** The same error as a GraphQL request error: Yoga answers `spec` errors with 200 for application/json. */
function asRequestError(error: GraphQLError): GraphQLError {
  const http = error.extensions?.http as { status?: number; spec?: boolean } | undefined;
  if (http?.status === 400 && http.spec === true) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, http: { ...http, status: 400, spec: true } },
  });
}

/**
 * Yoga answers these statuses without a body (unknown path; no request parser for the
 * Content-Type; no result processor for the Accept header). The JSON body is sent even for a
 * 406, whose client asked for something else: a body with a code says more than none.
 */
const BODILESS: Record<number, { code: ErrorCode; message: string }> = {
  404: { code: 'NOT_FOUND', message: 'Nothing is served at this path; GraphQL is served at /graphql.' },
  406: {
    code: 'NOT_ACCEPTABLE',
    message: 'The Accept header allows none of the media types of the answer; accept application/graphql-response+json or application/json.',
  },
  415: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The request body has a Content-Type the GraphQL endpoint does not read; send application/json.' },
};

function withCode(error: GraphQLError, fallback: string): GraphQLError {
  const { originalError: _hidden, ...extensions } = (error.extensions ?? {}) as Record<string, unknown>;
  const current = typeof extensions.code === 'string' ? extensions.code : undefined;
  const http = extensions.http as { status?: number; spec?: boolean } | undefined;
  let code = current && CATALOGUE.has(current) ? current : fallback;
  if (current === 'INVALID_GRAPHQL') code = 'GRAPHQL_VALIDATION_FAILED';
  if (code === current && !('originalError' in (error.extensions ?? {})) && !(code === 'BAD_REQUEST' && http?.spec)) {
    return error;
  }
  // A body that is not a well-formed GraphQL-over-HTTP request is a 400 whatever the Accept
  // header (Yoga marks it `spec`, which would turn it into 200 for application/json).
  if (code === 'BAD_REQUEST') extensions.http = { ...http, status: http?.status ?? 400, spec: false };
  // Yoga puts the parser's own message under extensions.originalError: never show it.
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...extensions, code },
  });
}

/** graphql-js 16 lacks this rule: an operation type the schema does not define is invalid. */
const knownOperationTypes: ValidationRule = (context) => ({
  OperationDefinition(node) {
    const schema = context.getSchema();
    const supported =
      node.operation === 'query' ? schema.getQueryType() : node.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    if (!supported) {
      context.reportError(new GraphQLError(`This graph does not offer ${node.operation} operations.`, { nodes: [node] }));
    }
  },
});

const badRequest = (fetchAPI: { Response: typeof Response }, message: string) =>
  new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }), {
    status: 400,
    headers: { 'content-type': 'application/json' },
  });

export function useErrorCodes(): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      // Yoga would fail on these as an unexpected error; they are the client's mistake.
      if (request.method !== 'GET') return;
      for (const param of ['variables', 'extensions']) {
        const value = url.searchParams.get(param);
        if (!value) continue;
        try {
          JSON.parse(value);
        } catch {
          endResponse(badRequest(fetchAPI as unknown as { Response: typeof Response }, `The ${param} parameter is not valid JSON.`) as never);
          return;
        }
      }
    },
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (result instanceof GraphQLError) replaceParseResult(withCode(result, 'GRAPHQL_PARSE_FAILED'));
      };
    },
    onValidate({ addValidationRule }) {
      addValidationRule(knownOperationTypes);
      return ({ result, setResult }) => {
        if (result.length) setResult(result.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')));
      };
    },
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result) || !result.errors) return;
      const errors = result.errors.map((e) => {
        const error = e instanceof GraphQLError ? e : new GraphQLError((e as Error).message);
        if (LIMIT_CODES.has(error.extensions?.code as string)) return asRequestError(error);
        const status = (error.extensions?.http as { status?: number } | undefined)?.status;
        if (status && status >= 400 && status < 500) return withCode(error, 'BAD_REQUEST');
        const code = error.extensions?.code;
        if (typeof code === 'string' && !CATALOGUE.has(code)) return withCode(error, 'INTERNAL_SERVER_ERROR');
        return error;
      });
      setResult({ ...result, errors });
    },
    onResponse({ response, setResponse, fetchAPI }) {
      const bodiless = BODILESS[response.status];
      // Another plugin's 404 (e.g. /ops) has its own body and Content-Type: keep it.
      if (!bodiless || response.headers.has('content-type')) return;
      const headers = new fetchAPI.Headers(response.headers);
      headers.delete('content-length');
      headers.set('content-type', 'application/json');
      const body = JSON.stringify({ errors: [{ message: bodiless.message, extensions: { code: bodiless.code } }] });
      setResponse(new fetchAPI.Response(body, { status: response.status, statusText: response.statusText, headers }));
    },
  };
}

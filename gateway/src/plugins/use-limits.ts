import { GraphQLError } from 'graphql';
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import type { Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../../../common/errors';

/**
 * Limits on what one request may ask (graphql-armor), each rejection with its own catalogued
 * code, plus a request body size limit (413 PAYLOAD_TOO_LARGE before the body is read).
 * Token limits apply while parsing, so an oversized query never reaches the parse cache.
 * A limit error is a request error like a validation error: its HTTP status (400, or 200 with
 * `Accept: application/json`) is set for every limit code in use-error-codes.ts.
 */
export interface LimitsConfig {
  maxBodyBytes: number;
  maxTokens: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxCost: number;
  /** Field suggestions ("Did you mean …?") reveal the schema; off in production. */
  blockFieldSuggestions: boolean;
}

/**
 * graphql-armor rejects with a bare GraphQLError whose message starts with "Syntax Error: ",
 * although the query is valid GraphQL, and throws it from the parser (tokens) or from a
 * validation rule (the others; thrown on entering the operation, so validation stops there).
 * Its reject callbacks run just before that throw: this one throws instead, with the message
 * without the prefix and the limit's catalogued code.
 */
const reject = (code: ErrorCode) => (_: unknown, error: GraphQLError) => {
  // The cost estimate grows with depth and can be fractional: report it rounded up, and
  // astronomic ones (8.26e+35 for 200 levels) as a bound.
  const message = error.message
    .replace(/^Syntax Error: /, '')
    .replace(/found (\d+(?:\.\d+)?(?:e\+\d+)?)\.$/, (_m, n: string) => `found ${Number(n) < 1e15 ? Math.ceil(Number(n)) : 'more than 10^15'}.`);
  throw new GraphQLError(message, { extensions: { code } });
};

export function useLimits(config: LimitsConfig): Plugin[] {
  const armor = new EnvelopArmor({
    maxTokens: { n: config.maxTokens, onReject: [reject('MAX_TOKENS_EXCEEDED')] },
    maxDepth: { n: config.maxDepth, ignoreIntrospection: true, flattenFragments: true, onReject: [reject('MAX_DEPTH_EXCEEDED')] },
    // Every alias counts: armor's default allowList (['__typename']) lets `a0: __typename …
    // a9999: __typename` through, an amplification that costs no resolver.
    maxAliases: { n: config.maxAliases, allowList: [], onReject: [reject('MAX_ALIASES_EXCEEDED')] },
    maxDirectives: { n: config.maxDirectives, onReject: [reject('MAX_DIRECTIVES_EXCEEDED')] },
    costLimit: { maxCost: config.maxCost, ignoreIntrospection: true, onReject: [reject('COST_LIMIT_EXCEEDED')] },
    blockFieldSuggestion: { enabled: config.blockFieldSuggestions },
  });
  const bodyLimit: Plugin = {
    onRequest({ request, endResponse, fetchAPI }) {
      const length = Number(request.headers.get('content-length') ?? 0);
      if (length > config.maxBodyBytes) {
        endResponse(
          new fetchAPI.Response(
            JSON.stringify({
              errors: [
                {
                  message: `The request body is ${length} bytes; the limit is ${config.maxBodyBytes} bytes.`,
                  extensions: { code: 'PAYLOAD_TOO_LARGE' },
                },
              ],
            }),
            { status: 413, headers: { 'content-type': 'application/json' } },
          ),
        );
      }
    },
  };
  // A body without Content-Length (chunked) is counted while it is read. A body with one needs
  // no counting: the check above bounds the header and Node's HTTP parser reads exactly that many
  // bytes. (This replaces Yoga's own limit, which wraps every body in a stream: ~10 % of the CPU
  // of a cached answer; server.ts sets maxRequestBodySize: false.)
  const streamLimit: Plugin = {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      if (request.headers.has('content-length') || !requestParser || request.body == null) return;
      setRequestParser((req) => requestParser(limitBody(req, config.maxBodyBytes, fetchAPI)));
    },
  };
  return [bodyLimit, streamLimit, ...(armor.protect().plugins as Plugin[])];
}

function tooLarge(maxBodyBytes: number): GraphQLError {
  return new GraphQLError(`The request body is larger than the limit of ${maxBodyBytes} bytes.`, {
    extensions: { code: 'PAYLOAD_TOO_LARGE', http: { status: 413 } },
  });
}

/** The request with a body that errors with PAYLOAD_TOO_LARGE once more than `limit` bytes arrived. */
function limitBody(request: Request, limit: number, fetchAPI: { Request: typeof Request; TransformStream: typeof TransformStream }): Request {
  let received = 0;
  const Transform = request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  const body = request.body!.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        if (received > limit) controller.error(tooLarge(limit));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body, duplex: 'half' } as RequestInit);
}

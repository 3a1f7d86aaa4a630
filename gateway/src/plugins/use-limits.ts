import { EnvelopArmor } from '@escape.tech/graphql-armor';
import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../../../common/errors';

/**
 * Limits on what one request may ask (graphql-armor), each rejection with its own catalogued
 * code, plus a request body size limit (413 PAYLOAD_TOO_LARGE before the body is read).
 * Token limits apply while parsing, so an oversized query never reaches the parse cache.
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

const tag = (code: ErrorCode) => (_: unknown, error: GraphQLError) => {
  // graphql-armor reports every limit as a generic syntax/validation error; give each its code.
  Object.assign(error.extensions as Record<string, unknown>, { code, http: { status: 400 } });
};

export function useLimits(config: LimitsConfig): Plugin[] {
  const armor = new EnvelopArmor({
    maxTokens: { n: config.maxTokens, onReject: [tag('MAX_TOKENS_EXCEEDED')] },
    maxDepth: { n: config.maxDepth, ignoreIntrospection: true, flattenFragments: true, onReject: [tag('MAX_DEPTH_EXCEEDED')] },
    maxAliases: { n: config.maxAliases, onReject: [tag('MAX_ALIASES_EXCEEDED')] },
    maxDirectives: { n: config.maxDirectives, onReject: [tag('MAX_DIRECTIVES_EXCEEDED')] },
    costLimit: { maxCost: config.maxCost, ignoreIntrospection: true, onReject: [tag('COST_LIMIT_EXCEEDED')] },
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
  return [bodyLimit, ...(armor.protect().plugins as Plugin[])];
}

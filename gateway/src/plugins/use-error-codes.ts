import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Gives every error a catalogued `extensions.code` (common/errors.ts): syntax errors become
 * GRAPHQL_PARSE_FAILED, schema validation errors GRAPHQL_VALIDATION_FAILED, and Yoga's
 * HTTP-level request errors (invalid JSON body, missing query, invalid variables) BAD_REQUEST.
 * Codes that are already set (by a subgraph or another plugin) are kept.
 */
function withCode(error: GraphQLError, code: string): GraphQLError {
  const hasCode = typeof error.extensions?.code === 'string';
  if (hasCode && !('originalError' in (error.extensions ?? {}))) return error;
  // Yoga puts the parser's own message under extensions.originalError: never show it.
  const { originalError: _hidden, ...extensions } = error.extensions ?? {};
  // A body that is not a well-formed GraphQL-over-HTTP request is a 400 whatever the
  // Accept header (Yoga marks it `spec`, which would turn it into 200 for application/json).
  const http = extensions.http as { status?: number; spec?: boolean } | undefined;
  if (http?.spec && (code === 'BAD_REQUEST' || extensions.code === 'BAD_REQUEST')) {
    extensions.http = { ...http, spec: false };
  }
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...extensions, code: hasCode ? extensions.code : code },
  });
}

export function useErrorCodes(): Plugin {
  return {
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (result instanceof GraphQLError) replaceParseResult(withCode(result, 'GRAPHQL_PARSE_FAILED'));
      };
    },
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length) setResult(result.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')));
      };
    },
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result) || !result.errors) return;
      const errors = result.errors.map((e) => {
        const error = e instanceof GraphQLError ? e : new GraphQLError((e as Error).message);
        const status = (error.extensions?.http as { status?: number } | undefined)?.status;
        if (status && status >= 400 && status < 500) return withCode(error, 'BAD_REQUEST');
        return error;
      });
      setResult({ ...result, errors });
    },
  };
}

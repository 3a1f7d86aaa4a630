import { GraphQLError } from 'graphql';

/**
 * The one catalogue of client-visible error codes. Every error a client can see carries
 * one of these in `extensions.code`; README.md documents the same table and a test keeps
 * both in step. Codes are stable: add new ones, never rename.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: 'An argument or variable has the wrong format or value (e.g. an AGS that is not 8 digits).',
  GRAPHQL_PARSE_FAILED: 'The query is not valid GraphQL syntax.',
  GRAPHQL_VALIDATION_FAILED: 'The query does not match the schema (unknown field, wrong argument type, an operation type the graph does not offer).',
  BAD_REQUEST: 'The HTTP request itself is malformed (invalid JSON body, missing query, unknown operation name).',
  PAYLOAD_TOO_LARGE: 'The request body is larger than the configured limit (HTTP 413).',
  UNSUPPORTED_MEDIA_TYPE: 'The request body has a Content-Type the GraphQL endpoint does not read (HTTP 415); send application/json.',
  NOT_ACCEPTABLE: 'The Accept header allows none of the media types the answer can have (HTTP 406); accept application/graphql-response+json or application/json. The error itself is sent as application/json.',
  NOT_FOUND: 'Nothing is served at this path (HTTP 404); GraphQL is served at /graphql.',
  MAX_TOKENS_EXCEEDED: 'The query has more tokens than the configured limit.',
  MAX_DEPTH_EXCEEDED: 'The query nests deeper than the configured limit.',
  MAX_ALIASES_EXCEEDED: 'The query uses more aliases than the configured limit (every alias counts, also one of __typename).',
  MAX_DIRECTIVES_EXCEEDED: 'The query uses more directives than the configured limit.',
  COST_LIMIT_EXCEEDED: 'The estimated cost of the query is above the configured limit.',
  UNAUTHENTICATED: 'No valid identity where one is required.',
  RATE_LIMITED: 'The caller sent more requests per minute than its limit allows (HTTP 429; the Retry-After header says after how many seconds to try again).',
  PERSISTED_QUERY_NOT_FOUND: 'The request named a persisted operation (extensions.persistedQuery.sha256Hash or documentId) the gateway does not know; with automatic persisted queries (development) send the hash together with the query to register it.',
  PERSISTED_QUERY_ONLY: 'This gateway only executes persisted operations from its manifests (production); send the id of a persisted operation instead of a query.',
  UNAUTHORIZED_FIELD_OR_TYPE: 'The caller may not read this field; it was removed from the operation (its value is null). In reject mode the whole operation is refused (HTTP 403).',
  FORBIDDEN: "The caller's organisation may not see this record (row-level rule in the subgraph).",
  INSUFFICIENT_SCOPE: 'The caller is authenticated but lacks the scope this endpoint requires (HTTP 403), e.g. audit:read for GET /audit, ops:read for /ops/api, ops:metrics for /metrics.',
  QUERY_PLAN_NOT_ALLOWED: 'The request asked for its query plan (x-amtsgraph-query-plan header) without the scope ops:plans; nothing was executed (HTTP 403).',
  AUDIT_UNAVAILABLE: 'The access to personal data could not be recorded in the audit trail, so that data was withheld (null); public parts are still served.',
  DOWNSTREAM_SERVICE_ERROR: 'A subgraph or the REST service behind it failed; other parts of the response are still served.',
  UPSTREAM_TIMEOUT: 'The REST service behind a subgraph did not answer in time.',
  REQUEST_TIMEOUT: 'The whole request took longer than the gateway allows (limits.requestDeadlineMs, default 15 s); its subgraph fetches were cancelled and no data is returned.',
  INTERNAL_SERVER_ERROR: 'An unexpected error; details are in the server log under the correlation id.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Builds a client-visible error with a catalogued code. */
export function amtsError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

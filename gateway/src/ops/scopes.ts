/**
 * Scopes of the operator features. A caller's token carries them in its `scope` claim
 * (gateway/src/auth/); `npm run -s token -- --sub ops-team --scope "ops:read ops:plans"`
 * mints one for development.
 */
export const OPS_SCOPES = {
  /** The /ops page's JSON API: operations, plans, subgraph health, API catalogue. */
  read: 'ops:read',
  /** The `x-amtsgraph-query-plan` request header (plan included in, or instead of, the response). */
  plans: 'ops:plans',
  /** GET /metrics with a caller token (Prometheus uses the static metrics token instead). */
  metrics: 'ops:metrics',
} as const;

/** Request header asking for the query plan: `include` (with the result) or `only` (no execution). */
export const QUERY_PLAN_HEADER = 'x-amtsgraph-query-plan';

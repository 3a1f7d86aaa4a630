import type { ExecutionResult, GraphQLError } from 'graphql';
import type { EntityRef } from './reshape';

/**
 * What authorization decided for one request, for the audit trail and for metrics.
 * Read it with `getAuthorizationOutcome(context)` (or with the request) after the execute
 * phase; it is absent for requests that never reached execution (parse/validation errors).
 */
export type AuthorizationMode = 'filter' | 'reject' | 'dry-run';

export interface AuthorizationOutcome {
  readonly mode: AuthorizationMode;
  readonly operationName: string | null;
  readonly operationType: 'query' | 'mutation' | 'subscription';
  /** sha256 (hex) of the normalised operation signature (ops/signature.ts: literals hidden). */
  readonly signature: string;
  /** Restricted schema coordinates the operation requested (`Person.birthDate`; a type name for a fragment on a restricted type), sorted. */
  readonly requested: readonly string[];
  /** Of those, the ones the caller may not read (filter: removed; reject: refused; dry-run: served anyway), sorted. */
  readonly denied: readonly string[];
  /** Response paths of the denied selections, one each (`"@"` stands for every list position). */
  readonly deniedPaths: readonly (readonly string[])[];
  /** `filtered`: fields were removed; `rejected`: nothing was executed; `served`: everything requested was served. */
  readonly result: 'served' | 'filtered' | 'rejected';
  /** Audited entities in the response (type + key), filled after execution. */
  readonly entities: readonly EntityRef[];
  readonly entitiesTruncated: boolean;
}

export type MutableOutcome = { -readonly [K in keyof AuthorizationOutcome]: AuthorizationOutcome[K] };

/**
 * Replaces every served restricted part of a result with null (null propagation applied) and
 * adds one error per top-most restricted path: what the audit does when it cannot record.
 */
export type Withhold = (result: ExecutionResult, errorAt: (path: readonly string[]) => GraphQLError) => ExecutionResult;

const outcomes = new WeakMap<object, MutableOutcome>();
const withholders = new WeakMap<AuthorizationOutcome, Withhold>();

/** The outcome for a request, looked up by its GraphQL context (or its `Request`). */
export function getAuthorizationOutcome(contextOrRequest: object): AuthorizationOutcome | undefined {
  const direct = outcomes.get(contextOrRequest);
  if (direct) return direct;
  const request = (contextOrRequest as { request?: unknown }).request;
  return request && typeof request === 'object' ? outcomes.get(request) : undefined;
}

/** Internal to the authorization plugin. */
export function recordOutcome(context: object, outcome: MutableOutcome, withhold: Withhold | null): void {
  outcomes.set(context, outcome);
  const request = (context as { request?: unknown }).request;
  if (request && typeof request === 'object') outcomes.set(request, outcome);
  if (withhold) withholders.set(outcome, withhold);
}

/**
 * Used by the audit (fail closed): the result without any restricted data. When the outcome
 * has no withholder (nothing restricted was executed), the result is returned unchanged.
 */
export function withholdRestricted(
  outcome: AuthorizationOutcome,
  result: ExecutionResult,
  errorAt: (path: readonly string[]) => GraphQLError,
): ExecutionResult {
  const withhold = withholders.get(outcome);
  return withhold ? withhold(result, errorAt) : result;
}

import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../../../common/errors';
import { ANONYMOUS, type Identity } from '../../../common/identity';
import type { Logger } from '../../../common/logger';
import type { AuditFilter, AuditRecord, AuditStore } from '../audit/record';
import { parseSince } from '../audit/record';
import { getAuthorizationOutcome, withholdRestricted, type AuthorizationOutcome } from '../authz/outcome';
import type { GatewayContext } from '../context';

/**
 * The audit trail of personal-data access.
 *
 * Every request whose operation touched a restricted schema coordinate (authorization's
 * outcome, plugins/use-authorization.ts) writes one record to the store — served, filtered
 * or rejected — before its response is sent: who, organisation, purpose, operation name and
 * signature hash, coordinates, entity ids in the response, correlation id, outcome. Never
 * field values.
 *
 * Fail closed: when the record cannot be written, the restricted parts of the response are
 * replaced with null, each with an `AUDIT_UNAVAILABLE` error; public parts are still served.
 *
 * `GET /audit?subject=&since=&until=&limit=` lists records for operators: it requires a
 * verified identity with scope `audit:read` (401 without one, 403 without the scope).
 */
export interface AuditPluginOptions {
  /** Null when the audit trail is switched off (`audit.store: none`). */
  store: AuditStore | null;
  /** Serve `GET /audit`. */
  endpoint: boolean;
  /**
   * The verified caller of a plain HTTP request (the endpoint runs before any GraphQL
   * context exists). Null or ANONYMOUS = not authenticated.
   */
  identify: (request: Request) => Promise<Identity | null>;
  logger: Logger;
}

export const AUDIT_READ_SCOPE = 'audit:read';
const MAX_LIMIT = 10_000;
const DEFAULT_LIMIT = 100;

function recordFor(
  outcome: AuthorizationOutcome,
  context: Partial<GatewayContext> | undefined,
  errors: readonly { extensions?: Record<string, unknown> }[],
): AuditRecord {
  const identity = context?.identity ?? ANONYMOUS;
  // Row-level denials come from the subgraphs (FORBIDDEN): the request was not fully served.
  const rowLevelDenials = errors.filter((e) => e.extensions?.code === 'FORBIDDEN').length;
  return {
    time: new Date().toISOString(),
    subject: identity.sub,
    anonymous: identity.anonymous,
    ags: identity.ags,
    purpose: identity.purpose,
    operationName: outcome.operationName,
    operationType: outcome.operationType,
    signature: outcome.signature,
    coordinates: [...outcome.requested],
    denied: [...outcome.denied],
    entities: [...outcome.entities],
    entitiesTruncated: outcome.entitiesTruncated,
    correlationId: context?.correlationId ?? '',
    rowLevelDenials,
    outcome: outcome.result === 'served' && rowLevelDenials > 0 ? 'filtered' : outcome.result,
  };
}

export function useAudit(options: AuditPluginOptions): Plugin<GatewayContext> {
  const { store, logger } = options;
  const contexts = new WeakMap<Request, GatewayContext>();

  const json = (fetchAPI: { Response: typeof Response }, status: number, body: unknown, headers: Record<string, string> = {}) =>
    new fetchAPI.Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
  const refusal = (fetchAPI: { Response: typeof Response }, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) =>
    json(fetchAPI, status, { errors: [{ message, extensions: { code } }] }, headers);

  async function serveEndpoint(request: Request, url: URL, fetchAPI: { Response: typeof Response }): Promise<Response> {
    if (request.method !== 'GET') return refusal(fetchAPI, 405, 'BAD_REQUEST', 'GET /audit only.', { allow: 'GET' });
    let identity: Identity | null = null;
    try {
      identity = await options.identify(request);
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'audit endpoint: the caller could not be identified');
    }
    if (!identity || identity.anonymous) {
      return refusal(fetchAPI, 401, 'UNAUTHENTICATED', `The audit trail requires a verified identity with scope ${AUDIT_READ_SCOPE}.`, {
        'www-authenticate': 'Bearer',
      });
    }
    if (!identity.scopes.includes(AUDIT_READ_SCOPE)) {
      return refusal(fetchAPI, 403, 'INSUFFICIENT_SCOPE', `The audit trail requires scope ${AUDIT_READ_SCOPE}.`);
    }
    if (!store) return refusal(fetchAPI, 503, 'AUDIT_UNAVAILABLE', 'The audit trail is switched off (audit.store: none).');

    const params = url.searchParams;
    const filter: AuditFilter = { limit: DEFAULT_LIMIT };
    const subject = params.get('subject');
    if (subject) filter.subject = subject;
    for (const name of ['since', 'until'] as const) {
      const value = params.get(name);
      if (!value) continue;
      const time = parseSince(value);
      if (!time) return refusal(fetchAPI, 400, 'BAD_USER_INPUT', `${name} must be an ISO date or date-time, or a duration such as 24h or 7d.`);
      filter[name] = time;
    }
    const limit = params.get('limit');
    if (limit) {
      if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT) {
        return refusal(fetchAPI, 400, 'BAD_USER_INPUT', `limit must be a whole number from 1 to ${MAX_LIMIT}.`);
      }
      filter.limit = Number(limit);
    }
    try {
      const result = await store.query(filter);
      logger.info({ reader: identity.sub, records: result.records.length }, 'audit trail read');
      return json(fetchAPI, 200, result, { 'cache-control': 'no-store' });
    } catch (error) {
      logger.error({ err: (error as Error).message, store: store.location }, 'audit trail could not be read');
      return refusal(fetchAPI, 503, 'AUDIT_UNAVAILABLE', 'The audit store cannot be read right now.');
    }
  }

  return {
    async onDispose() {
      await store?.close();
    },
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!options.endpoint || url.pathname !== '/audit') return;
      endResponse(await serveEndpoint(request, url, fetchAPI as unknown as { Response: typeof Response }));
    },
    onContextBuilding() {
      return ({ context }) => {
        contexts.set(context.request, context);
      };
    },
    async onResultProcess({ request, result, setResult }) {
      if (!store || Array.isArray(result) || Symbol.asyncIterator in (result as object)) return;
      const outcome = getAuthorizationOutcome(request);
      if (!outcome || outcome.requested.length === 0) return;
      const context = contexts.get(request);
      const errors = ((result as { errors?: readonly { extensions?: Record<string, unknown> }[] }).errors ?? []) as readonly {
        extensions?: Record<string, unknown>;
      }[];
      const record = recordFor(outcome, context, errors);
      try {
        await store.append(record);
      } catch (error) {
        // Never log the record's entities: the correlation id is enough to find the request.
        logger.error(
          { err: (error as Error).message, store: store.location, correlationId: record.correlationId },
          'audit record could not be written: restricted data withheld',
        );
        if (outcome.result === 'rejected') return;
        const message = 'This personal data was withheld: the access could not be recorded in the audit trail. Try again later.';
        setResult(
          withholdRestricted(outcome, result as never, (path) => new GraphQLError(message, { path, extensions: { code: 'AUDIT_UNAVAILABLE' } })) as never,
        );
      }
    },
  };
}

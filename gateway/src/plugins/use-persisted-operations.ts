import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../../../common/logger';
import type { ErrorCode } from '../../../common/errors';
import { BoundedLru } from '../persisted/lru';
import { manifestIndex, readManifest, sha256Hex } from '../persisted/manifest';

/**
 * Persisted operations (gateway/src/persisted/). A request names an operation either as
 * `extensions.persistedQuery: { version: 1, sha256Hash }` (Apollo APQ style) or as
 * `documentId` (body field or GET parameter); its text comes from the manifests.
 * - `allowArbitrary: false` (production default): a request with a query text but no known id is
 *   refused with 400 PERSISTED_QUERY_ONLY — only manifest operations run.
 * - an unknown id → 400 PERSISTED_QUERY_NOT_FOUND.
 * - `apq: true` (development default): hash + query registers the query in a bounded LRU
 *   after checking that the hash is the query's SHA-256 (a wrong hash → 400 BAD_REQUEST);
 *   later requests may send the hash alone. Registered queries are never "persisted" in the
 *   production sense: with `allowArbitrary: false` registration is refused.
 * Limits, validation and authorization apply to persisted operations like to any other.
 */
export interface PersistedOperationsOptions {
  manifests: readonly string[];
  allowArbitrary: boolean;
  apq: boolean;
  apqMaxEntries: number;
  logger: Logger;
}

const refuse = (code: ErrorCode | 'BAD_REQUEST', message: string) => new GraphQLError(message, { extensions: { code, http: { status: 400 } } });

interface PersistedRef {
  hash: string;
  /** Sent as documentId: never registers, only looked up. */
  documentId: boolean;
}

export function usePersistedOperations(options: PersistedOperationsOptions): Plugin {
  const manifests = options.manifests.map(readManifest);
  const index = manifestIndex(manifests);
  const apqStore = options.apq ? new BoundedLru<string>(options.apqMaxEntries) : null;
  options.logger.info(
    { manifests: options.manifests.length, operations: index.size, allowArbitrary: options.allowArbitrary, apq: options.apq },
    'persisted operations loaded',
  );
  if (!options.allowArbitrary && index.size === 0) {
    options.logger.warn('persisted operations only, but no manifest is configured: every GraphQL operation will be refused (set PERSISTED_MANIFESTS)');
  }
  const refs = new WeakMap<Request, PersistedRef>();
  return {
    onRequestParse({ request }) {
      return {
        // `documentId` is not a GraphQL-over-HTTP parameter Yoga accepts; take it out before
        // Yoga checks the parameters and remember it for onParams.
        onRequestParseDone({ requestParserResult, setRequestParserResult }) {
          if (Array.isArray(requestParserResult)) return;
          const params = requestParserResult as Record<string, unknown>;
          let documentId: unknown = params.documentId;
          if (documentId === undefined && request.method === 'GET') documentId = new URL(request.url).searchParams.get('documentId') ?? undefined;
          if (documentId === undefined) return;
          if (typeof documentId !== 'string') throw refuse('BAD_REQUEST', 'documentId must be a string.');
          const { documentId: _taken, ...rest } = params;
          refs.set(request, { hash: documentId.replace(/^sha256:/, ''), documentId: true });
          setRequestParserResult(rest);
        },
      };
    },
    onParams({ params, request, setParams }) {
      let ref = refs.get(request);
      const persisted = (params.extensions as { persistedQuery?: unknown } | undefined)?.persistedQuery;
      if (!ref && persisted !== undefined) {
        const p = persisted as { version?: unknown; sha256Hash?: unknown } | null;
        if (!p || typeof p !== 'object' || p.version !== 1 || typeof p.sha256Hash !== 'string') {
          throw refuse('BAD_REQUEST', 'extensions.persistedQuery must be { "version": 1, "sha256Hash": "<64 hex digits>" }.');
        }
        ref = { hash: p.sha256Hash, documentId: false };
      }
      const query = typeof params.query === 'string' && params.query !== '' ? params.query : null;
      if (!ref) {
        if (options.allowArbitrary) return;
        throw refuse('PERSISTED_QUERY_ONLY', 'Only persisted operations are executed here: send the id of an operation from the manifest.');
      }
      const known = index.get(ref.hash) ?? apqStore?.get(ref.hash);
      if (known !== undefined) {
        if (query !== null && query !== known) throw refuse('BAD_REQUEST', 'The query does not match the persisted operation with this id.');
        setParams({ ...params, query: known });
        return;
      }
      if (query !== null && apqStore && !ref.documentId && options.allowArbitrary) {
        if (sha256Hex(query) !== ref.hash) throw refuse('BAD_REQUEST', 'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query.');
        apqStore.set(ref.hash, query);
        return;
      }
      throw refuse('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound');
    },
  };
}

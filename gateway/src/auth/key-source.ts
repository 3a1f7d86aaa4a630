import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/**
 * Where the gateway finds the public keys that sign callers' tokens. Both sources are
 * `jose` key resolvers (`JWTVerifyGetKey`) that pick the key by the token's `kid` and `alg`;
 * the token's own header can never supply a key (an embedded `jwk`/`jku`/`x5u` is ignored).
 *
 * Errors are split in two kinds, because the caller must react differently:
 * - the token names no key of the set (`JWKSNoMatchingKey`, …): the token is invalid (401);
 * - the key set itself could not be obtained (timeout, network error, non-200 answer,
 *   malformed JWKS): `KeySourceUnavailable`, the gateway answers 503 and the token may be fine.
 */
export class KeySourceUnavailable extends Error {
  override name = 'KeySourceUnavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Errors that mean "this token does not match the key set" rather than "no key set". */
function isTokenProblem(error: unknown): boolean {
  return (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSENotSupported ||
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid
  );
}

function classified(source: JWTVerifyGetKey, describe: string): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await source(header, token);
    } catch (error) {
      if (isTokenProblem(error)) throw error;
      throw new KeySourceUnavailable(`${describe}: ${(error as Error).message}`, { cause: error });
    }
  };
}

export interface RemoteKeySourceOptions {
  /** Time limit of one JWKS fetch, in ms. */
  timeoutMs: number;
  /** Keys are refetched after this age even when every `kid` is known, in ms. */
  cacheMaxAgeMs: number;
  /**
   * Minimum time between two fetches triggered by an unknown `kid`, in ms. Bounds the load a
   * caller with made-up `kid`s can put on the identity provider (at most one fetch per period).
   */
  cooldownMs: number;
}

/**
 * Keys from the identity provider's JWKS URL. Fetched on first use, cached for
 * `cacheMaxAgeMs`, fetched again when a token names an unknown `kid` (key rotation) unless
 * the last fetch is younger than `cooldownMs`. Concurrent fetches are merged into one.
 */
export function remoteKeySource(url: string, options: RemoteKeySourceOptions): JWTVerifyGetKey {
  const set = createRemoteJWKSet(new URL(url), {
    timeoutDuration: options.timeoutMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    cooldownDuration: options.cooldownMs,
  });
  return classified(set, `the JWKS at ${url} is unavailable`);
}

/** A fixed set of public keys (configured inline, or the development issuer's key). */
export function localKeySource(jwks: JSONWebKeySet): JWTVerifyGetKey {
  return classified(createLocalJWKSet(jwks), 'the configured key set is unusable');
}

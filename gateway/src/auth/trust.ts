import type { JWTVerifyGetKey } from 'jose';
import type { AuthenticationConfig } from './config';
import { DEV_AUDIENCE, DEV_ISSUER, loadDevIssuer } from './dev-issuer';
import { localKeySource, remoteKeySource } from './key-source';

/** Whom the gateway trusts: a key source plus the issuer and audience tokens must carry. */
export interface Trust {
  source: 'jwks-url' | 'jwks' | 'dev-issuer';
  getKey: JWTVerifyGetKey;
  issuer: string;
  audience: string;
}

/**
 * Picks the key source from a validated config (`authenticationProblems` guarantees that
 * keys come with issuer and audience, and that production has a JWKS URL):
 * JWKS URL → inline JWKS → the development issuer (created in `.amtsgraph/` if missing).
 */
export function resolveTrust(auth: AuthenticationConfig, mode: 'development' | 'production'): Trust {
  if (auth.jwksUrl) {
    return {
      source: 'jwks-url',
      getKey: remoteKeySource(auth.jwksUrl, {
        timeoutMs: auth.jwksTimeoutMs,
        cacheMaxAgeMs: auth.jwksCacheMaxAgeMs,
        cooldownMs: auth.jwksCooldownMs,
      }),
      issuer: required(auth.issuer, 'issuer'),
      audience: required(auth.audience, 'audience'),
    };
  }
  if (auth.jwks) {
    return { source: 'jwks', getKey: localKeySource(auth.jwks), issuer: required(auth.issuer, 'issuer'), audience: required(auth.audience, 'audience') };
  }
  if (mode === 'production') throw new Error('authentication: the development issuer is never trusted in production mode');
  const dev = loadDevIssuer(auth.devIssuerDir);
  return { source: 'dev-issuer', getKey: localKeySource(dev.jwks), issuer: DEV_ISSUER, audience: DEV_AUDIENCE };
}

function required(value: string | undefined, option: string): string {
  if (!value) throw new Error(`authentication.${option} is required together with a JWKS`);
  return value;
}

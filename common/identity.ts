import { jwtVerify, SignJWT } from 'jose';

/**
 * The verified identity of a caller, as the gateway forwards it to subgraphs.
 *
 * The gateway verifies the caller's JWT, then signs this identity into the
 * `x-amtsgraph-identity` header of every subgraph fetch (HS256, 60 s, audience
 * `amtsgraph-subgraph`). Subgraphs trust only that header: a request without a valid
 * signature gets HTTP 401, so a caller who reaches a subgraph directly gets nothing.
 */
export interface Identity {
  /** Subject (`sub` claim); null for anonymous callers. */
  sub: string | null;
  /** Granted scopes (`scope` claim, space-separated in the token). */
  scopes: string[];
  /** The municipality (8-digit AGS) an official works for (`ags` claim). */
  ags: string | null;
  /** Declared purpose of processing (`purpose` claim or `x-purpose` header, checked by the gateway). */
  purpose: string | null;
  anonymous: boolean;
}

export const ANONYMOUS: Identity = Object.freeze({ sub: null, scopes: [], ags: null, purpose: null, anonymous: true }) as Identity;

export const IDENTITY_HEADER = 'x-amtsgraph-identity';
const ISSUER = 'amtsgraph-gateway';
const AUDIENCE = 'amtsgraph-subgraph';
const LIFETIME_SECONDS = 60;
const MIN_SECRET_BYTES = 32;

export function identitySecret(value: string): Uint8Array {
  const bytes = new TextEncoder().encode(value);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new Error(`the identity secret must be at least ${MIN_SECRET_BYTES} bytes long, received ${bytes.length}`);
  }
  return bytes;
}

export async function signIdentity(identity: Identity, secret: Uint8Array, correlationId?: string): Promise<string> {
  return new SignJWT({
    scope: identity.scopes.join(' '),
    ags: identity.ags,
    purpose: identity.purpose,
    anon: identity.anonymous,
    ...(correlationId ? { cid: correlationId } : {}),
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(identity.sub ?? 'anonymous')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${LIFETIME_SECONDS}s`)
    .sign(secret);
}

/** Verifies a forwarded identity; throws when it is missing, forged, expired or malformed. */
export async function verifyIdentity(token: string, secret: Uint8Array): Promise<Identity & { correlationId: string | null }> {
  const { payload } = await jwtVerify(token, secret, {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['HS256'],
    clockTolerance: 5,
  });
  const anonymous = payload.anon === true;
  return {
    sub: anonymous ? null : String(payload.sub),
    scopes: typeof payload.scope === 'string' && payload.scope ? payload.scope.split(' ') : [],
    ags: typeof payload.ags === 'string' ? payload.ags : null,
    purpose: typeof payload.purpose === 'string' ? payload.purpose : null,
    anonymous,
    correlationId: typeof payload.cid === 'string' ? payload.cid : null,
  };
}

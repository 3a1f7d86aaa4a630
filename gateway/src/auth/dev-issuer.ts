import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, type JsonWebKey } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { DEV_DIR } from '../../../common/secrets';

/**
 * The local development issuer: one ES256 key pair, generated on first use into the
 * git-ignored `.amtsgraph/` folder (private key file mode 0600, never committed). In
 * development mode, without `AUTH_JWKS_URL`, the gateway trusts its public key for tokens
 * with issuer `amtsgraph-dev` and audience `amtsgraph`; `npm run token` signs such tokens.
 * Production never uses it (config validation requires a JWKS URL there).
 */
export const DEV_ISSUER = 'amtsgraph-dev';
export const DEV_AUDIENCE = 'amtsgraph';
export const DEV_ALGORITHM = 'ES256';
export const DEV_KEY_FILE = 'dev-issuer-key.json';

export interface DevTokenClaims {
  sub: string;
  scopes: string[];
  ags?: string | null;
  purpose?: string | null;
  /** Lifetime in seconds. */
  ttlSeconds: number;
}

export interface DevIssuer {
  /** Key id: the RFC 7638 thumbprint of the public key. */
  kid: string;
  /** The public key as a JWKS (what the gateway trusts). */
  jwks: JSONWebKeySet;
  /** Absolute path of the private key file. */
  keyFile: string;
  issue(claims: DevTokenClaims): Promise<string>;
}

function thumbprint(jwk: JsonWebKey): string {
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

function isEcPrivateKey(value: unknown): value is JsonWebKey & { kid: string } {
  const jwk = value as Record<string, unknown> | null;
  return (
    !!jwk &&
    jwk.kty === 'EC' &&
    jwk.crv === 'P-256' &&
    ['x', 'y', 'd', 'kid'].every((member) => typeof jwk[member] === 'string' && (jwk[member] as string).length > 0)
  );
}

/**
 * Creates the key file atomically: the key is written to a private temporary file, then
 * hard-linked to its final name, which fails if another process (a parallel test worker,
 * `npm run token` next to `npm start`) was first. Everyone then uses the file that won, so
 * all processes agree on one key, and nobody ever reads a half-written file.
 */
function createKeyFile(dir: string, file: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  const content = JSON.stringify({ ...jwk, kid: thumbprint(jwk), alg: DEV_ALGORITHM, use: 'sig' });
  const temporary = path.join(dir, `.${DEV_KEY_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`);
  writeFileSync(temporary, `${content}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/** Loads the development issuer from `dir` (default `.amtsgraph/`), creating its key if needed. */
export function loadDevIssuer(dir: string = DEV_DIR): DevIssuer {
  const keyFile = path.resolve(dir, DEV_KEY_FILE);
  let raw: string;
  try {
    raw = readFileSync(keyFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    createKeyFile(path.dirname(keyFile), keyFile);
    raw = readFileSync(keyFile, 'utf8');
  }
  // The private key stays private even if someone loosened the file's permissions.
  if ((statSync(keyFile).mode & 0o077) !== 0) chmodSync(keyFile, 0o600);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = null;
  }
  if (!isEcPrivateKey(parsed)) {
    throw new Error(`${keyFile} is not an ES256 (P-256) private key with a kid; delete it and a new key is generated`);
  }
  const privateJwk = parsed;
  const privateKey = createPrivateKey({ key: privateJwk, format: 'jwk' });
  const publicJwk: JWK = { kty: 'EC', crv: 'P-256', x: privateJwk.x, y: privateJwk.y, kid: privateJwk.kid, alg: DEV_ALGORITHM, use: 'sig' };
  return {
    kid: privateJwk.kid,
    jwks: { keys: [publicJwk] },
    keyFile,
    async issue(claims) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        scope: claims.scopes.join(' '),
        ...(claims.ags ? { ags: claims.ags } : {}),
        ...(claims.purpose ? { purpose: claims.purpose } : {}),
      })
        .setProtectedHeader({ alg: DEV_ALGORITHM, kid: privateJwk.kid, typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + claims.ttlSeconds)
        .setJti(randomUUID())
        .sign(privateKey);
    },
  };
}

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet, type KeyLike } from 'jose';
import type { StandInName } from '../common/services';
import { startStack, type Stack, type StackOptions } from '../scripts/stack';

/**
 * Shared fixtures for integration tests: a whole stack on ephemeral loopback ports. The audit
 * trail goes to a fresh temporary file unless the test configures one, so test runs never
 * write into the repository's .amtsgraph/ folder.
 */
export async function startTestStack(options: StackOptions = {}): Promise<Stack> {
  const audit = options.gateway?.audit ?? { file: path.join(mkdtempSync(path.join(tmpdir(), 'amtsgraph-audit-')), 'audit.jsonl') };
  return startStack({ ...options, gateway: { watchSupergraph: false, logLevel: 'silent', ...options.gateway, audit } });
}

export interface GraphQLResponseBody {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export async function gql(
  stack: Stack,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: GraphQLResponseBody; headers: Headers }> {
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponseBody, headers: response.headers };
}

/** Upstream request counts of every stand-in since the last reset. */
export function upstreamCounts(stack: Stack): Record<StandInName, number> {
  const counts = {} as Record<StandInName, number>;
  for (const [name, entry] of Object.entries(stack.standIns)) counts[name as StandInName] = entry!.standIn.stats().total;
  return counts;
}

export function resetUpstreamCounts(stack: Stack): void {
  for (const entry of Object.values(stack.standIns)) entry!.standIn.resetStats();
}

/** Rows of a CSV under stand-ins/data/ (to compare served facts with the data file). */
export function dataRows(relativePath: string): Record<string, string>[] {
  return parse(readFileSync(path.join(__dirname, '..', 'stand-ins', 'data', relativePath), 'utf8'), {
    columns: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
}

export const REPO_ROOT = path.join(__dirname, '..');

/**
 * A token issuer for tests: a fresh key pair whose public key the gateway can trust, e.g.
 * `startTestStack({ gateway: { authentication: issuer.authentication } })`, then
 * `gql(stack, query, {}, bearer(await issuer.token({ scope: 'melderegister:read', ags: '05122000' })))`.
 */
export interface TestIssuer {
  issuer: string;
  audience: string;
  alg: 'ES256' | 'RS256' | 'EdDSA';
  kid: string;
  /** The public key as a JWKS (serve it, or configure it inline). */
  jwks: JSONWebKeySet;
  privateKey: KeyLike;
  /** Gateway `authentication` config that trusts this issuer (inline JWKS). */
  authentication: { jwks: JSONWebKeySet; issuer: string; audience: string };
  /**
   * A signed token. Defaults: sub `test-official`, empty scope, iss/aud of the issuer,
   * iat now, exp in 5 minutes. `claims` override them (a value of `undefined` removes the
   * claim); `header` overrides the protected header (alg, kid, typ).
   */
  token(claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
}

export async function createTestIssuer(
  options: { alg?: TestIssuer['alg']; issuer?: string; audience?: string; kid?: string } = {},
): Promise<TestIssuer> {
  const alg = options.alg ?? 'ES256';
  const issuer = options.issuer ?? 'https://idp.test.amtsgraph.invalid';
  const audience = options.audience ?? 'amtsgraph';
  const kid = options.kid ?? `test-${alg}-${Math.random().toString(36).slice(2, 10)}`;
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] };
  return {
    issuer,
    audience,
    alg,
    kid,
    jwks,
    privateKey,
    authentication: { jwks, issuer, audience },
    async token(claims = {}, header = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = { sub: 'test-official', scope: '', iss: issuer, aud: audience, iat: now, exp: now + 300, ...claims };
      for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
      return new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'JWT', ...header } as { alg: string }).sign(privateKey);
    },
  };
}

/** The Authorization header for a bearer token. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

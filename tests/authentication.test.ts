import { execFile } from 'node:child_process';
import { sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createSchema, createYoga } from 'graphql-yoga';
import { createLocalJWKSet, decodeProtectedHeader, exportSPKI, generateKeyPair, importJWK, jwtVerify, SignJWT, type JSONWebKeySet, type KeyLike } from 'jose';
import pino from 'pino';
import { ConfigError } from '../common/env';
import { ANONYMOUS, IDENTITY_HEADER, identitySecret, signIdentity, verifyIdentity, type Identity } from '../common/identity';
import { silentLogger } from '../common/logger';
import { createAuthenticator } from '../gateway/src/auth/authenticate';
import { DEFAULT_ALLOWED_PURPOSES } from '../gateway/src/auth/claims';
import { DEV_KEY_FILE, loadDevIssuer } from '../gateway/src/auth/dev-issuer';
import { localKeySource, remoteKeySource } from '../gateway/src/auth/key-source';
import { configFromEnv, resolveConfig } from '../gateway/src/config';
import type { GatewayContext } from '../gateway/src/context';
import { useAuthentication } from '../gateway/src/plugins/use-authentication';
import { useIdentityForwarding } from '../gateway/src/plugins/use-identity-forwarding';
import type { Stack } from '../scripts/stack';
import { tokenCommand } from '../scripts/token';
import { bearer, createTestIssuer, gql, REPO_ROOT, resetUpstreamCounts, startTestStack, upstreamCounts, type TestIssuer } from './testkit';

/**
 * Caller authentication at the gateway: JWT bearer tokens checked against trusted keys
 * (JWKS URL, inline JWKS, or the local development issuer); every attack is refused with
 * 401 UNAUTHENTICATED before anything is executed (zero upstream requests); the identity of
 * a valid token reaches the context and, signed, the subgraphs.
 */
jest.setTimeout(30_000);

const QUERY = '{ municipality(ags: "05315000") { name } }';
const SERVED = { data: { municipality: { name: 'Köln, Stadt' } } };
const IDENTITY_SECRET = 'authentication-test-secret-0123456789abcdef';
const MESSAGE = {
  header: 'The Authorization header must be "Bearer <token>" with a signed JWT.',
  expired: 'The bearer token has expired.',
  notYetValid: 'The bearer token is not yet valid.',
  invalid: 'The bearer token is not valid.',
};
type Reason = (typeof REASONS)[number];
const REASONS = ['header', 'header-too-long', 'malformed', 'algorithm', 'signature', 'unknown-key', 'expired', 'not-yet-valid', 'issuer', 'audience', 'claim-exp', 'claim-sub', 'claim-ags', 'claim-scope', 'claim-purpose'] as const;
const MESSAGE_FOR = Object.fromEntries(
  REASONS.map((r) => [r, r.startsWith('header') ? MESSAGE.header : r === 'expired' ? MESSAGE.expired : r === 'not-yet-valid' ? MESSAGE.notYetValid : MESSAGE.invalid]),
) as Record<Reason, string>;
const wwwAuthenticate = (message: string) => `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`;
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const totalUpstream = (stack: Stack) => Object.values(upstreamCounts(stack)).reduce((sum, n) => sum + n, 0);

/** A JWKS endpoint on an ephemeral loopback port whose keys and behaviour a test controls. */
interface JwksServer {
  url: string;
  hits: number;
  jwks: JSONWebKeySet;
  mode: 'ok' | 'hang' | 'error' | 'garbage';
  close(): Promise<void>;
}

async function startJwksServer(jwks: JSONWebKeySet): Promise<JwksServer> {
  const server = http.createServer((_request, response) => {
    state.hits++;
    if (state.mode === 'hang') return;
    if (state.mode === 'error') return void response.writeHead(500).end('identity provider down');
    if (state.mode === 'garbage') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [');
    response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(state.jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const state: JwksServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    hits: 0,
    jwks,
    mode: 'ok',
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

function captureLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

describe('configuration', () => {
  const secret = 'x'.repeat(32);

  it('defaults: development issuer, algorithms RS256/ES256/EdDSA, 30 s clock skew, the documented purposes', () => {
    const { authentication } = resolveConfig({ identitySecret: secret });
    expect(authentication).toEqual({
      algorithms: ['RS256', 'ES256', 'EdDSA'],
      clockSkewSeconds: 30,
      allowedPurposes: ['melderegisterauskunft', 'gewerbeaufsicht', 'wahlvorbereitung', 'statistik'],
      jwksTimeoutMs: 3_000,
      jwksCacheMaxAgeMs: 600_000,
      jwksCooldownMs: 30_000,
    });
    expect(Object.isFrozen(authentication)).toBe(true);
    expect(Object.isFrozen(authentication.allowedPurposes)).toBe(true);
  });

  it('production requires a JWKS URL, an issuer and an audience, naming the variables', () => {
    expect(() => resolveConfig({ identitySecret: secret, mode: 'production' })).toThrow(
      new ConfigError(
        'Invalid gateway configuration:\n' +
          `- gateway option "authentication.jwksUrl": required in production mode: set AUTH_JWKS_URL to the identity provider's JWKS URL\n` +
          '- gateway option "authentication.issuer": required in production mode: set AUTH_ISSUER to the issuer (iss) of accepted tokens\n' +
          '- gateway option "authentication.audience": required in production mode: set AUTH_AUDIENCE to the audience (aud) accepted tokens must name',
      ),
    );
    expect(() => configFromEnv({ AMTSGRAPH_IDENTITY_SECRET: secret, NODE_ENV: 'production', AUTH_ISSUER: 'https://login.example.de' })).toThrow(
      /"authentication.jwksUrl": required in production mode: set AUTH_JWKS_URL[^]*"authentication.audience": required in production mode: set AUTH_AUDIENCE/,
    );
    expect(() =>
      resolveConfig({ identitySecret: secret, mode: 'production', authentication: { jwksUrl: 'http://login.example.de/jwks', issuer: 'i', audience: 'a' } }),
    ).toThrow('gateway option "authentication.jwksUrl": must be an https URL in production mode (AUTH_JWKS_URL), received "http://login.example.de/jwks"');
    const production = configFromEnv({
      AMTSGRAPH_IDENTITY_SECRET: secret,
      NODE_ENV: 'production',
      AUTH_JWKS_URL: 'https://login.example.de/.well-known/jwks.json',
      AUTH_ISSUER: 'https://login.example.de',
      AUTH_AUDIENCE: 'amtsgraph',
      AUTH_ALGORITHMS: 'RS256, PS256',
      AUTH_CLOCK_SKEW_SECONDS: '10',
      AUTH_ALLOWED_PURPOSES: 'statistik,gewerbeaufsicht',
    }).authentication;
    expect(production).toMatchObject({
      jwksUrl: 'https://login.example.de/.well-known/jwks.json',
      issuer: 'https://login.example.de',
      audience: 'amtsgraph',
      algorithms: ['RS256', 'PS256'],
      clockSkewSeconds: 10,
      allowedPurposes: ['statistik', 'gewerbeaufsicht'],
    });
  });

  it('never accepts "none" or HS* as algorithms, nor private or symmetric keys as trusted keys', () => {
    expect(() => configFromEnv({ AMTSGRAPH_IDENTITY_SECRET: secret, AUTH_ALGORITHMS: 'ES256,HS256' })).toThrow(
      'AUTH_ALGORITHMS must be a comma-separated list of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA ("none" and HS* are never accepted), received "ES256,HS256"',
    );
    expect(() => resolveConfig({ identitySecret: secret, authentication: { algorithms: ['none' as never] } })).toThrow(
      'gateway option "authentication.algorithms.0": must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA ("none" and HS* are never accepted for callers), received "none"',
    );
    const auth = { issuer: 'i', audience: 'a' };
    expect(() => resolveConfig({ identitySecret: secret, authentication: { ...auth, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' } as never] } } })).toThrow(
      'gateway option "authentication.jwks.keys.0.kty": must be "RSA", "EC" or "OKP" (public keys only), received "oct"',
    );
    expect(() =>
      resolveConfig({ identitySecret: secret, authentication: { ...auth, jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' }] } } }),
    ).toThrow('gateway option "authentication.jwks.keys.0": must be a public key: it has private members (one of d, p, q, dp, dq, qi, k)');
  });

  it('keys come with issuer and audience; the development issuer brings its own', () => {
    expect(() => resolveConfig({ identitySecret: secret, authentication: { jwksUrl: 'http://127.0.0.1:9/jwks' } })).toThrow(
      /"authentication.issuer": required together with a JWKS: set AUTH_ISSUER[^]*"authentication.audience": required together with a JWKS: set AUTH_AUDIENCE/,
    );
    expect(() => configFromEnv({ AMTSGRAPH_IDENTITY_SECRET: secret, AUTH_ISSUER: 'https://login.example.de' })).toThrow(
      'gateway option "authentication.issuer": only used with a JWKS: set AUTH_JWKS_URL as well (the development issuer signs as amtsgraph-dev)',
    );
    expect(() => configFromEnv({ AMTSGRAPH_IDENTITY_SECRET: secret, AUTH_JWKS_URL: 'not a url' })).toThrow(
      'AUTH_JWKS_URL must be an http(s) URL such as https://login.example.de/.well-known/jwks.json, received "not a url"',
    );
    expect(() => configFromEnv({ AMTSGRAPH_IDENTITY_SECRET: secret, AUTH_CLOCK_SKEW_SECONDS: '30s' })).toThrow(
      'AUTH_CLOCK_SKEW_SECONDS must be a whole number of seconds from 0 to 300, received "30s"',
    );
    expect(() => configFromEnv({ AMTSGRAPH_IDENTITY_SECRET: secret, AUTH_ALLOWED_PURPOSES: 'statistik,Werbung!' })).toThrow(
      'AUTH_ALLOWED_PURPOSES must be a comma-separated list of lower-case identifiers (a-z, 0-9, _ and -), received "statistik,Werbung!"',
    );
  });
});

describe('whole stack trusting an identity provider by JWKS URL', () => {
  let stack: Stack;
  let idp: TestIssuer;
  let attacker: TestIssuer;
  let jwks: JwksServer;
  let attackerJwks: JwksServer;
  const log = captureLogger();
  const usedTokens: string[] = [];

  const ask = (headers: Record<string, string>) => gql(stack, QUERY, undefined, headers);
  const asBearer = (token: string) => {
    usedTokens.push(token);
    return bearer(token);
  };

  beforeAll(async () => {
    idp = await createTestIssuer({ issuer: 'https://login.test.amtsgraph.invalid', audience: 'amtsgraph' });
    attacker = await createTestIssuer({ issuer: idp.issuer, audience: idp.audience, kid: idp.kid });
    jwks = await startJwksServer(idp.jwks);
    attackerJwks = await startJwksServer(attacker.jwks);
    stack = await startTestStack({
      identitySecret: IDENTITY_SECRET,
      logger: log.logger,
      // Cooldown 0: every unknown kid refetches at once, so rotation is observable in one test.
      gateway: { authentication: { jwksUrl: jwks.url, issuer: idp.issuer, audience: idp.audience, jwksCooldownMs: 0, jwksTimeoutMs: 500 } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await jwks?.close();
    await attackerJwks?.close();
  });

  it('a valid token is served (one upstream request); the JWKS is fetched once and then cached', async () => {
    resetUpstreamCounts(stack);
    const response = await ask(asBearer(await idp.token({ scope: 'melde:read', ags: '05315000', purpose: 'statistik' })));
    expect(response.status).toBe(200);
    expect(response.body).toEqual(SERVED);
    expect(upstreamCounts(stack).register).toBe(1);
    expect(totalUpstream(stack)).toBe(1);
    for (let i = 0; i < 5; i++) expect((await ask(asBearer(await idp.token({ sub: `official-${i}` })))).status).toBe(200);
    expect(jwks.hits).toBe(1);
  });

  it('without a token the caller is anonymous and served', async () => {
    const response = await ask({});
    expect(response.status).toBe(200);
    expect(response.body).toEqual(SERVED);
  });

  it('clock skew: 10 s past expiry or 10 s before nbf is tolerated (default 30 s)', async () => {
    expect((await ask(asBearer(await idp.token({ exp: now() - 10 })))).body).toEqual(SERVED);
    expect((await ask(asBearer(await idp.token({ nbf: now() + 10 })))).body).toEqual(SERVED);
  });

  it('purpose: the claim or the x-purpose header; an unknown or contradicting purpose is 400 BAD_USER_INPUT, nothing executed', async () => {
    expect((await ask({ ...asBearer(await idp.token()), 'x-purpose': 'gewerbeaufsicht' })).body).toEqual(SERVED);
    expect((await ask({ ...asBearer(await idp.token({ purpose: 'statistik' })), 'x-purpose': 'statistik' })).body).toEqual(SERVED);
    expect((await ask({ 'x-purpose': 'wahlvorbereitung' })).body).toEqual(SERVED);
    const allowed = 'melderegisterauskunft, gewerbeaufsicht, wahlvorbereitung, statistik';
    const cases: [string, Record<string, string>, string][] = [
      ['unknown header purpose', { 'x-purpose': 'werbung' }, `The purpose "werbung" (x-purpose header) is not allowed; allowed purposes: ${allowed}.`],
      [
        'unknown header purpose with a valid token',
        { ...asBearer(await idp.token()), 'x-purpose': 'adresshandel' },
        `The purpose "adresshandel" (x-purpose header) is not allowed; allowed purposes: ${allowed}.`,
      ],
      ['header purpose in a harmful shape is not echoed', { 'x-purpose': '<script>' }, `The purpose given (x-purpose header) is not allowed; allowed purposes: ${allowed}.`],
      [
        'unknown purpose claim',
        asBearer(await idp.token({ purpose: 'werbung' })),
        `The purpose "werbung" (purpose claim of the token) is not allowed; allowed purposes: ${allowed}.`,
      ],
      [
        'header contradicts the claim',
        { ...asBearer(await idp.token({ purpose: 'statistik' })), 'x-purpose': 'melderegisterauskunft' },
        'The x-purpose header contradicts the purpose claim of the bearer token; send the same purpose or leave the header out.',
      ],
    ];
    for (const [name, headers, message] of cases) {
      resetUpstreamCounts(stack);
      const response = await ask(headers);
      expect({ name, status: response.status, body: response.body, upstream: totalUpstream(stack) }).toEqual({
        name,
        status: 400,
        body: { errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] },
        upstream: 0,
      });
    }
  });

  /** Every attack: [name, Authorization header value, expected reason (in the log)]. */
  async function attacks(): Promise<[string, string, Reason][]> {
    const valid = await idp.token({ scope: 'melde:read' });
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const other = (await idp.token({ sub: 'someone-else' })).split('.')[2]!;
    const publicPem = await exportSPKI((await importJWK(idp.jwks.keys[0]!, 'ES256')) as KeyLike);
    const hs256 = async (secret: Uint8Array, extra: Record<string, unknown> = {}) =>
      new SignJWT({ ...claims, ...extra }).setProtectedHeader({ alg: 'HS256', kid: idp.kid, typ: 'JWT' }).sign(secret);
    const es384 = await generateKeyPair('ES384');
    const eddsa = await createTestIssuer({ alg: 'EdDSA', issuer: idp.issuer, audience: idp.audience });
    // Signed with the provider's real key, but with headers jose's signer would refuse to produce.
    const raw = (protectedHeader: Record<string, unknown>, encodedPayload: string) => {
      const data = `${b64(protectedHeader)}.${encodedPayload}`;
      const signed = sign('sha256', Buffer.from(data), { key: idp.privateKey as KeyObject, dsaEncoding: 'ieee-p1363' });
      return `${data}.${signed.toString('base64url')}`;
    };
    const unsigned = (alg: string) => `${b64({ alg, typ: 'JWT' })}.${payload}.`;
    const b = (token: string) => `Bearer ${token}`;
    return [
      // malformed Authorization headers
      ['Basic credentials', 'Basic dXNlcjpwYXNzd29yZA==', 'header'],
      ['scheme without token', 'Bearer', 'header'],
      ['scheme with blank token', 'Bearer    ', 'header'],
      ['no space after the scheme', `Bearer${valid}`, 'header'],
      ['other scheme with a valid token', `Token ${valid}`, 'header'],
      ['two credentials in one header', `Bearer ${valid}, Bearer ${valid}`, 'header'],
      ['token followed by extra text', `Bearer ${valid} extra`, 'header'],
      ['two-part token', `Bearer ${header}.${payload}`, 'header'],
      ['five-part token (JWE shape)', `Bearer ${valid}.${signature}.${signature}`, 'header'],
      ['JWS JSON serialization', `Bearer ${JSON.stringify({ protected: header, payload, signature })}`, 'header'],
      ['oversized header (9 KB)', `Bearer ${'A'.repeat(9_000)}.${payload}.${signature}`, 'header-too-long'],
      ['garbage that looks like a JWT', 'Bearer abc.def.ghi', 'malformed'],
      ['header is not JSON', b(`${b64('not json')}.${payload}.${signature}`), 'malformed'],
      // signature and algorithm attacks
      ['alg none, empty signature', b(unsigned('none')), 'algorithm'],
      ['alg None (case variant)', b(unsigned('None')), 'algorithm'],
      ['alg NONE with the original signature', b(`${b64({ alg: 'NONE', typ: 'JWT' })}.${payload}.${signature}`), 'algorithm'],
      ['signature stripped', b(`${header}.${payload}.`), 'signature'],
      ['signature of another token', b(`${header}.${payload}.${other}`), 'signature'],
      ['payload tampered (scope elevated)', b(`${header}.${b64({ ...claims, scope: 'melde:read admin' })}.${signature}`), 'signature'],
      ['payload tampered (exp extended)', b(`${header}.${b64({ ...claims, exp: now() + 86_400 * 365 })}.${signature}`), 'signature'],
      ['signed by another key with the same kid', b(await attacker.token()), 'signature'],
      ['HS256 with the public key (PEM) as HMAC secret', b(await hs256(new TextEncoder().encode(publicPem))), 'algorithm'],
      ['HS256 with the public JWK (JSON) as HMAC secret', b(await hs256(new TextEncoder().encode(JSON.stringify(idp.jwks.keys[0])))), 'algorithm'],
      [
        'HS256 with the gateway identity secret (the subgraph header format)',
        b(await signIdentity({ sub: 'mallory', scopes: ['admin'], ags: '05315000', purpose: null, anonymous: false }, identitySecret(IDENTITY_SECRET))),
        'algorithm',
      ],
      ['ES384 (asymmetric, not in the allow-list)', b(await new SignJWT(claims).setProtectedHeader({ alg: 'ES384', kid: idp.kid }).sign(es384.privateKey)), 'algorithm'],
      ['RS256 header over an EC key id', b(`${b64({ alg: 'RS256', kid: idp.kid })}.${payload}.${signature}`), 'unknown-key'],
      ['EdDSA from a key the provider does not publish', b(await eddsa.token()), 'unknown-key'],
      ['embedded jwk header with the attacker key', b(await attacker.token({}, { jwk: attacker.jwks.keys[0] })), 'signature'],
      ['jku header pointing at the attacker JWKS', b(await attacker.token({}, { jku: attackerJwks.url })), 'signature'],
      ['x5u header pointing at the attacker', b(await attacker.token({}, { x5u: attackerJwks.url })), 'signature'],
      ['unknown kid', b(await attacker.token({}, { kid: 'rotated-away-or-made-up' })), 'unknown-key'],
      ['kid path traversal', b(await attacker.token({}, { kid: '../../../../dev/null' })), 'unknown-key'],
      ['crit header with an unknown extension', b(raw({ alg: 'ES256', kid: idp.kid, crit: ['x-bypass'], 'x-bypass': true }, payload)), 'malformed'],
      ['unencoded payload (b64: false)', b(raw({ alg: 'ES256', kid: idp.kid, b64: false, crit: ['b64'] }, payload)), 'malformed'],
      ['signed by the real key over a wrong audience', b(raw({ alg: 'ES256', kid: idp.kid, typ: 'JWT' }, b64({ ...claims, aud: 'x' }))), 'audience'],
      // claim attacks
      ['expired (beyond the 30 s skew)', b(await idp.token({ exp: now() - 60 })), 'expired'],
      ['expired long ago', b(await idp.token({ iat: now() - 86_400, exp: now() - 80_000 })), 'expired'],
      ['not yet valid (nbf beyond the skew)', b(await idp.token({ nbf: now() + 120 })), 'not-yet-valid'],
      ['no exp claim', b(await idp.token({ exp: undefined })), 'claim-exp'],
      ['exp as a string', b(await idp.token({ exp: String(now() + 300) })), 'claim-exp'],
      ['wrong issuer', b(await idp.token({ iss: 'https://evil.example' })), 'issuer'],
      ['issuer with a trailing slash', b(await idp.token({ iss: `${idp.issuer}/` })), 'issuer'],
      ['no issuer', b(await idp.token({ iss: undefined })), 'issuer'],
      ['wrong audience', b(await idp.token({ aud: 'some-other-api' })), 'audience'],
      ['audience list without ours', b(await idp.token({ aud: ['a', 'b'] })), 'audience'],
      ['no audience', b(await idp.token({ aud: undefined })), 'audience'],
      ['no sub', b(await idp.token({ sub: undefined })), 'claim-sub'],
      ['empty sub', b(await idp.token({ sub: '' })), 'claim-sub'],
      ['sub with spaces and control characters', b(await idp.token({ sub: 'admin\n injected' })), 'claim-sub'],
      ['ags with 7 digits', b(await idp.token({ ags: '5315000' })), 'claim-ags'],
      ['ags as a number', b(await idp.token({ ags: 5315000 })), 'claim-ags'],
      ['scope as an array', b(await idp.token({ scope: ['melde:read'] })), 'claim-scope'],
      ['scope with a quote character', b(await idp.token({ scope: 'a"b' })), 'claim-scope'],
      ['too many scopes (65)', b(await idp.token({ scope: Array.from({ length: 65 }, (_, i) => `s${i}`).join(' ') })), 'claim-scope'],
      ['purpose as a number', b(await idp.token({ purpose: 42 })), 'claim-purpose'],
    ];
  }

  it('every attack is refused with 401 UNAUTHENTICATED + WWW-Authenticate, and nothing is executed', async () => {
    const list = await attacks();
    expect(list.length).toBe(55);
    for (const [name, authorization, reason] of list) {
      const message = MESSAGE_FOR[reason];
      usedTokens.push(authorization.replace(/^\S+\s*/, ''));
      resetUpstreamCounts(stack);
      const logged = log.lines.length;
      const response = await ask({ authorization });
      const reasons = log.lines.slice(logged).flatMap((line) => /"reason":"([^"]+)"/.exec(line)?.[1] ?? []);
      expect({
        name,
        status: response.status,
        body: response.body,
        wwwAuthenticate: response.headers.get('www-authenticate'),
        requestId: !!response.headers.get('x-request-id'),
        upstream: totalUpstream(stack),
        reasons,
      }).toEqual({
        name,
        reasons: [reason],
        status: 401,
        body: { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] },
        wwwAuthenticate: wwwAuthenticate(message),
        requestId: true,
        upstream: 0,
      });
    }
    // The token's own header never chooses where keys come from.
    expect(attackerJwks.hits).toBe(0);
  });

  it('refused GET requests and batched requests are refused as a whole', async () => {
    resetUpstreamCounts(stack);
    const get = await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent(QUERY)}`, {
      headers: { 'x-amtsgraph-csrf': '1', authorization: 'Bearer abc.def.ghi' },
    });
    expect(get.status).toBe(401);
    const batch = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${(await idp.token({ exp: now() - 3600 }))}` },
      body: JSON.stringify([{ query: QUERY }, { query: QUERY }]),
    });
    expect(batch.status).toBe(401);
    expect(await batch.json()).toEqual({ errors: [{ message: MESSAGE.expired, extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(totalUpstream(stack)).toBe(0);
  });

  it('the identity provider unreachable: 503 (the token may be fine), nothing executed', async () => {
    jwks.mode = 'error';
    resetUpstreamCounts(stack);
    // A kid the cache does not know forces a fetch (cooldown 0 in this stack).
    const response = await ask(asBearer(await attacker.token({}, { kid: 'new-kid-during-outage' })));
    jwks.mode = 'ok';
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(response.body).toEqual({
      errors: [
        {
          message: "The token cannot be checked right now: the identity provider's keys are unavailable. Try again shortly.",
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ],
    });
    expect(totalUpstream(stack)).toBe(0);
  });

  it('key rotation: a token with a new kid triggers one JWKS fetch and is served; the removed key is refused', async () => {
    const rotated = await createTestIssuer({ issuer: idp.issuer, audience: idp.audience });
    jwks.jwks = rotated.jwks; // the provider rotates: only the new key is published
    jwks.hits = 0;
    expect((await ask(asBearer(await rotated.token({ sub: 'after-rotation' })))).body).toEqual(SERVED);
    expect(jwks.hits).toBe(1);
    expect((await ask(asBearer(await rotated.token({ sub: 'after-rotation-2' })))).body).toEqual(SERVED);
    expect(jwks.hits).toBe(1);
    const old = await ask(asBearer(await idp.token()));
    expect(old.status).toBe(401);
    expect(old.body).toEqual({ errors: [{ message: MESSAGE.invalid, extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(jwks.hits).toBe(2);
  });

  it('tokens never appear in the logs (trace level), while refusals are logged with their reason', () => {
    const output = log.lines.join('\n');
    expect(output).toContain('"reason":"expired"');
    expect(output).toContain('"reason":"signature"');
    expect(output).toContain('"reason":"algorithm"');
    expect(output).toContain('"reason":"key-source-unavailable"');
    expect(usedTokens.length).toBeGreaterThan(60);
    const leaked = usedTokens.filter((token) => token.length > 20 && output.includes(token));
    expect(leaked).toEqual([]);
    const leakedSignatures = usedTokens.map((t) => t.split('.')[2] ?? '').filter((s) => s.length > 20 && output.includes(s));
    expect(leakedSignatures).toEqual([]);
  });
});

describe('remote key set (unit): cooldown bounds refetches, outages are 503', () => {
  let idp: TestIssuer;
  let server: JwksServer;
  beforeAll(async () => {
    idp = await createTestIssuer();
    server = await startJwksServer(idp.jwks);
  });
  afterAll(() => server.close());

  const authenticator = (cooldownMs: number, timeoutMs = 300) =>
    createAuthenticator({
      trust: {
        source: 'jwks-url',
        getKey: remoteKeySource(server.url, { timeoutMs, cacheMaxAgeMs: 600_000, cooldownMs }),
        issuer: idp.issuer,
        audience: idp.audience,
      },
      algorithms: ['ES256'],
      clockSkewSeconds: 30,
      allowedPurposes: DEFAULT_ALLOWED_PURPOSES,
    });

  it('made-up kids within the cooldown cause no further fetches', async () => {
    server.hits = 0;
    const authenticate = authenticator(60_000);
    expect(await authenticate({ authorization: `Bearer ${await idp.token({ sub: 'a' })}`, purpose: null })).toEqual({
      ok: true,
      identity: { sub: 'a', scopes: [], ags: null, purpose: null, anonymous: false },
    });
    for (let i = 0; i < 20; i++) {
      const outcome = await authenticate({ authorization: `Bearer ${await idp.token({}, { kid: `made-up-${i}` })}`, purpose: null });
      expect(outcome).toMatchObject({ ok: false, status: 401, reason: 'unknown-key' });
    }
    expect(server.hits).toBe(1);
  });

  it('concurrent first requests share one fetch', async () => {
    server.hits = 0;
    const authenticate = authenticator(60_000);
    const token = `Bearer ${await idp.token()}`;
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => authenticate({ authorization: token, purpose: null })));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(server.hits).toBe(1);
  });

  it.each([
    ['a hanging JWKS endpoint (timeout)', 'hang'],
    ['HTTP 500', 'error'],
    ['a malformed JWKS body', 'garbage'],
  ] as const)('%s → 503 key-source-unavailable', async (_name, mode) => {
    server.mode = mode;
    try {
      const started = Date.now();
      const outcome = await authenticator(0, 300)({ authorization: `Bearer ${await idp.token()}`, purpose: null });
      expect(outcome).toMatchObject({ ok: false, status: 503, code: 'INTERNAL_SERVER_ERROR', reason: 'key-source-unavailable' });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      server.mode = 'ok';
    }
  });

  it('a closed port → 503', async () => {
    const closed = await startJwksServer(idp.jwks);
    const url = closed.url;
    await closed.close();
    const authenticate = createAuthenticator({
      trust: { source: 'jwks-url', getKey: remoteKeySource(url, { timeoutMs: 300, cacheMaxAgeMs: 600_000, cooldownMs: 0 }), issuer: idp.issuer, audience: idp.audience },
      algorithms: ['ES256'],
      clockSkewSeconds: 30,
      allowedPurposes: DEFAULT_ALLOWED_PURPOSES,
    });
    expect(await authenticate({ authorization: `Bearer ${await idp.token()}`, purpose: null })).toMatchObject({ ok: false, status: 503 });
  });
});

describe('useAuthentication (unit): context.identity, and the identity the subgraphs receive', () => {
  let idp: TestIssuer;
  const secret = identitySecret(IDENTITY_SECRET);
  let yoga: ReturnType<typeof createYoga<Record<string, unknown>, GatewayContext>>;

  beforeAll(async () => {
    idp = await createTestIssuer({ alg: 'EdDSA' });
    const authenticate = createAuthenticator({
      trust: { source: 'jwks', getKey: localKeySource(idp.jwks), issuer: idp.issuer, audience: idp.audience },
      algorithms: ['ES256', 'EdDSA'],
      clockSkewSeconds: 30,
      allowedPurposes: DEFAULT_ALLOWED_PURPOSES,
    });
    yoga = createYoga<Record<string, unknown>, GatewayContext>({
      logging: false,
      schema: createSchema<Record<string, unknown> & GatewayContext>({
        typeDefs: 'type Query { seen: String }',
        resolvers: {
          Query: {
            seen: (_root: unknown, _args: unknown, context: GatewayContext) =>
              JSON.stringify({ identity: context.identity, forwarded: context.forwardHeaders?.[IDENTITY_HEADER] }),
          },
        },
      }),
      plugins: [
        useAuthentication({ config: resolveConfig({ identitySecret: IDENTITY_SECRET }).authentication, mode: 'development', logger: silentLogger, authenticate }),
        useIdentityForwarding({ secret }),
      ],
    });
  });

  const seen = async (headers: Record<string, string>) => {
    const response = await yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ seen }' }),
    });
    const body = (await response.json()) as { data: { seen: string } };
    const { identity, forwarded } = JSON.parse(body.data.seen) as { identity: Identity; forwarded: string };
    const { correlationId: _id, ...subgraphSees } = await verifyIdentity(forwarded, secret);
    return { identity, subgraphSees };
  };

  it('a valid token: its subject, scopes, municipality and purpose, signed for the subgraphs', async () => {
    const token = await idp.token({ sub: 'sb-koeln-4711', scope: 'melde:read gewerbe:read', ags: '05315000', purpose: 'melderegisterauskunft' });
    const expected = { sub: 'sb-koeln-4711', scopes: ['melde:read', 'gewerbe:read'], ags: '05315000', purpose: 'melderegisterauskunft', anonymous: false };
    expect(await seen(bearer(token))).toEqual({ identity: expected, subgraphSees: expected });
  });

  it('the purpose may come from the x-purpose header', async () => {
    const token = await idp.token({ sub: 'sb-2', scope: 'gewerbe:read' });
    const expected = { sub: 'sb-2', scopes: ['gewerbe:read'], ags: null, purpose: 'gewerbeaufsicht', anonymous: false };
    expect(await seen({ ...bearer(token), 'x-purpose': 'gewerbeaufsicht' })).toEqual({ identity: expected, subgraphSees: expected });
  });

  it('no token: ANONYMOUS (with a declared purpose, if any)', async () => {
    expect(await seen({})).toEqual({ identity: ANONYMOUS, subgraphSees: ANONYMOUS });
    const withPurpose = { ...ANONYMOUS, purpose: 'statistik' };
    expect(await seen({ 'x-purpose': 'statistik' })).toEqual({ identity: withPurpose, subgraphSees: withPurpose });
  });
});

describe('development issuer and npm run token', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtsgraph-auth-'));
  let stack: Stack;
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    let out = '';
    let err = '';
    const code = await tokenCommand(argv, { out: (t) => void (out += t), err: (t) => void (err += t), env });
    return { code, out, err };
  };

  it('creates an ES256 key pair on first use, private key file mode 0600, and reuses it', () => {
    const first = loadDevIssuer(dir);
    expect(statSync(path.join(dir, DEV_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(first.jwks.keys).toEqual([{ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: first.kid, alg: 'ES256', use: 'sig' }]);
    expect(JSON.stringify(first.jwks)).not.toContain('"d"');
    expect(loadDevIssuer(dir).kid).toBe(first.kid);
  });

  it('a corrupt key file is reported with what to do', () => {
    const corrupt = mkdtempSync(path.join(os.tmpdir(), 'amtsgraph-auth-corrupt-'));
    writeFileSync(path.join(corrupt, DEV_KEY_FILE), '{"kty":"oct","k":"c2VjcmV0"}');
    expect(() => loadDevIssuer(corrupt)).toThrow(`${path.join(corrupt, DEV_KEY_FILE)} is not an ES256 (P-256) private key with a kid; delete it and a new key is generated`);
    rmSync(corrupt, { recursive: true, force: true });
  });

  it('validates its arguments with clear messages (exit code 2)', async () => {
    const cases: [string[], string][] = [
      [['--scope', 'a'], '--sub is required (the subject of the caller, e.g. --sub sb-mueller)'],
      [['--sub', 'a b'], '--sub must be 1 to 256 characters without spaces or control characters, received "a b"'],
      [['--sub', 'x', '--ags', '5122000'], '--ags must be an 8-digit Amtlicher Gemeindeschlüssel such as 05122000, received "5122000"'],
      [['--sub', 'x', '--ags', '0512200A'], '--ags must be an 8-digit Amtlicher Gemeindeschlüssel such as 05122000, received "0512200A"'],
      [
        ['--sub', 'x', '--purpose', 'werbung'],
        '--purpose must be one of melderegisterauskunft, gewerbeaufsicht, wahlvorbereitung, statistik, received "werbung"',
      ],
      [['--sub', 'x', '--ttl', '0'], '--ttl must be a whole number of seconds from 1 to 86400, received "0"'],
      [['--sub', 'x', '--ttl', '1h'], '--ttl must be a whole number of seconds from 1 to 86400, received "1h"'],
      [['--sub', 'x', '--ttl', '86401'], '--ttl must be a whole number of seconds from 1 to 86400, received "86401"'],
      [['--sub', 'x', '--scope', 'a "b"'], '--scope must be scopes separated by single spaces, each 1 to 128 printable ASCII characters (no " or \\), received "a \\"b\\""'],
      [['--sub', 'x', '--colour', 'blue'], "Unknown option '--colour'"],
    ];
    for (const [argv, message] of cases) {
      const result = await run([...argv, '--dir', dir]);
      expect({ argv, code: result.code, out: result.out, firstLine: result.err.split('\n')[0] }).toEqual({ argv, code: 2, out: '', firstLine: `token: ${message}` });
    }
    expect((await run(['--sub', 'x', '--purpose', 'archiv', '--dir', dir], { AUTH_ALLOWED_PURPOSES: 'archiv' })).code).toBe(0);
  });

  it('npm run token prints a token that verifies against the dev issuer and is accepted by a development gateway', async () => {
    const { stdout, stderr } = await promisify(execFile)(
      'npm',
      ['run', '-s', 'token', '--', '--sub', 'sb-solingen-1', '--scope', 'melde:read  gewerbe:read', '--ags', '05122000', '--purpose', 'gewerbeaufsicht', '--ttl', '600', '--dir', dir],
      { cwd: REPO_ROOT, env: { ...process.env, NODE_ENV: 'development' } },
    );
    const token = stdout.trim();
    expect(stdout).toBe(`${token}\n`);
    expect(stderr).toContain('Token for sb-solingen-1 (scopes: melde:read gewerbe:read; ags: 05122000; purpose: gewerbeaufsicht), valid for 600 s');
    const issuer = loadDevIssuer(dir);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: issuer.kid, typ: 'JWT' });
    const { payload } = await jwtVerify(token, createLocalJWKSet(issuer.jwks), { issuer: 'amtsgraph-dev', audience: 'amtsgraph', algorithms: ['ES256'] });
    expect(payload).toEqual({
      sub: 'sb-solingen-1',
      scope: 'melde:read gewerbe:read',
      ags: '05122000',
      purpose: 'gewerbeaufsicht',
      iss: 'amtsgraph-dev',
      aud: 'amtsgraph',
      iat: expect.any(Number),
      exp: (payload.iat as number) + 600,
      jti: expect.any(String),
    });
    expect(readFileSync(path.join(dir, DEV_KEY_FILE), 'utf8')).not.toContain(token.split('.')[2]);

    stack = await startTestStack({ gateway: { authentication: { devIssuerDir: dir } } });
    resetUpstreamCounts(stack);
    const served = await gql(stack, QUERY, undefined, bearer(token));
    expect(served.status).toBe(200);
    expect(served.body).toEqual(SERVED);
    expect(upstreamCounts(stack).register).toBe(1);
    // A token from another (unknown) development key is refused.
    const foreign = mkdtempSync(path.join(os.tmpdir(), 'amtsgraph-auth-foreign-'));
    const stranger = await loadDevIssuer(foreign).issue({ sub: 'x', scopes: [], ttlSeconds: 60 });
    rmSync(foreign, { recursive: true, force: true });
    resetUpstreamCounts(stack);
    const refused = await gql(stack, QUERY, undefined, bearer(stranger));
    expect(refused.status).toBe(401);
    expect(totalUpstream(stack)).toBe(0);
  });
});

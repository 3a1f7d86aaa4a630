import { z } from 'zod';
import { DEFAULT_ALLOWED_PURPOSES, PURPOSE_PATTERN } from './claims';

/**
 * The `authentication` section of the gateway configuration (gateway/src/config.ts embeds
 * it; env variables are read there). Cross-field rules that depend on the mode are in
 * `authenticationProblems`, which `resolveConfig` runs after parsing.
 */

/**
 * Algorithms a caller's token may use: asymmetric only. `none` and the HMAC family (HS*)
 * are not even expressible: with HS*, anyone who knows the public key could sign tokens.
 */
export const CALLER_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type CallerAlgorithm = (typeof CALLER_ALGORITHMS)[number];
export const DEFAULT_ALGORITHMS: CallerAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

const algorithm = z.enum(CALLER_ALGORITHMS, {
  errorMap: (_issue, ctx) => ({
    message: `must be one of ${CALLER_ALGORITHMS.join(', ')} ("none" and HS* are never accepted for callers), received ${JSON.stringify(ctx.data)}`,
  }),
});

/** Members only private or symmetric keys have; a trusted key set must contain none of them. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

const publicJwk = z
  .object({
    kty: z.enum(['RSA', 'EC', 'OKP'], {
      errorMap: (_issue, ctx) => ({ message: `must be "RSA", "EC" or "OKP" (public keys only), received ${JSON.stringify(ctx.data)}` }),
    }),
    kid: z.string().min(1).optional(),
  })
  .passthrough()
  .refine((jwk) => PRIVATE_MEMBERS.every((member) => !(member in jwk)), {
    message: `must be a public key: it has private members (one of ${PRIVATE_MEMBERS.join(', ')})`,
  });

const purpose = z.string().regex(PURPOSE_PATTERN, 'must be a lower-case identifier (a-z, 0-9, _ and -, at most 64 characters)');

export const authenticationSchema = z
  .object({
    /** The identity provider's JWKS URL (env AUTH_JWKS_URL); required in production. */
    jwksUrl: z
      .string()
      .url()
      .refine((url) => /^https?:\/\//.test(url), 'must be an http(s) URL')
      .optional(),
    /** Trusted public keys given inline instead of a URL (tests, fixed key sets). */
    jwks: z.object({ keys: z.array(publicJwk).min(1) }).optional(),
    /** Required `iss` of caller tokens (env AUTH_ISSUER); the dev issuer's is `amtsgraph-dev`. */
    issuer: z.string().min(1).optional(),
    /** Required `aud` of caller tokens (env AUTH_AUDIENCE); the dev issuer's is `amtsgraph`. */
    audience: z.string().min(1).optional(),
    /** Accepted signature algorithms (env AUTH_ALGORITHMS). */
    algorithms: z.array(algorithm).min(1).default([...DEFAULT_ALGORITHMS]),
    /** Tolerance for `exp` and `nbf` against clock differences, in seconds (env AUTH_CLOCK_SKEW_SECONDS). */
    clockSkewSeconds: z.number().int().min(0).max(300).default(30),
    /** Purposes of processing a caller may declare (env AUTH_ALLOWED_PURPOSES). */
    allowedPurposes: z.array(purpose).min(1).max(100).default([...DEFAULT_ALLOWED_PURPOSES]),
    /** Time limit of one JWKS fetch, in ms. */
    jwksTimeoutMs: z.number().int().min(100).max(30_000).default(3_000),
    /** Cached keys are refetched after this age, in ms. */
    jwksCacheMaxAgeMs: z.number().int().min(1_000).max(86_400_000).default(600_000),
    /** Minimum time between two fetches caused by an unknown `kid`, in ms. */
    jwksCooldownMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** Folder of the development issuer's key (development mode only); `.amtsgraph/` by default. */
    devIssuerDir: z.string().min(1).optional(),
  })
  .strict()
  .default({});

export type AuthenticationConfigInput = z.input<typeof authenticationSchema>;
export type AuthenticationConfig = z.output<typeof authenticationSchema>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Rules between options and the mode, as `{ option, message }` pairs (option paths relative
 * to the gateway config). Production needs a real identity provider: JWKS URL (https unless
 * on loopback), issuer and audience. Keys always come with an issuer and an audience; the
 * development issuer brings its own.
 */
export function authenticationProblems(auth: AuthenticationConfig, mode: 'development' | 'production'): { option: string; message: string }[] {
  const problems: { option: string; message: string }[] = [];
  const add = (option: string, message: string) => problems.push({ option: `authentication.${option}`, message });
  if (auth.jwksUrl && auth.jwks) add('jwks', 'set either jwksUrl or jwks, not both');
  if (mode === 'production') {
    if (!auth.jwksUrl) add('jwksUrl', "required in production mode: set AUTH_JWKS_URL to the identity provider's JWKS URL");
    else if (!auth.jwksUrl.startsWith('https://') && !LOOPBACK.has(new URL(auth.jwksUrl).hostname)) {
      add('jwksUrl', `must be an https URL in production mode (AUTH_JWKS_URL), received "${auth.jwksUrl}"`);
    }
    if (!auth.issuer) add('issuer', 'required in production mode: set AUTH_ISSUER to the issuer (iss) of accepted tokens');
    if (!auth.audience) add('audience', 'required in production mode: set AUTH_AUDIENCE to the audience (aud) accepted tokens must name');
    if (auth.devIssuerDir) add('devIssuerDir', 'the development issuer is not available in production mode');
  } else if (auth.jwksUrl || auth.jwks) {
    if (!auth.issuer) add('issuer', 'required together with a JWKS: set AUTH_ISSUER to the issuer (iss) of accepted tokens');
    if (!auth.audience) add('audience', 'required together with a JWKS: set AUTH_AUDIENCE to the audience (aud) accepted tokens must name');
    if (auth.devIssuerDir) add('devIssuerDir', 'only used when no JWKS is configured (the development issuer)');
  } else {
    // Development issuer: its issuer and audience are fixed; a lone AUTH_ISSUER is a mistake.
    if (auth.issuer) add('issuer', 'only used with a JWKS: set AUTH_JWKS_URL as well (the development issuer signs as amtsgraph-dev)');
    if (auth.audience) add('audience', 'only used with a JWKS: set AUTH_JWKS_URL as well (the development issuer signs for amtsgraph)');
  }
  return problems;
}

/** A deeply frozen copy (the gateway config is immutable). */
export function freezeAuthentication(auth: AuthenticationConfig): Readonly<AuthenticationConfig> {
  return Object.freeze({
    ...auth,
    algorithms: Object.freeze([...auth.algorithms]) as CallerAlgorithm[],
    allowedPurposes: Object.freeze([...auth.allowedPurposes]) as string[],
    ...(auth.jwks ? { jwks: Object.freeze({ keys: Object.freeze(auth.jwks.keys.map((k) => Object.freeze({ ...k }))) as typeof auth.jwks.keys }) } : {}),
  });
}

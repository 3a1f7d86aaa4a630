import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { ErrorCode } from '../../../common/errors';
import { ANONYMOUS, type Identity } from '../../../common/identity';
import { agsProblem, parseScopes, PURPOSE_PATTERN, subjectProblem } from './claims';
import { KeySourceUnavailable } from './key-source';
import type { Trust } from './trust';

/**
 * Turns a request's `Authorization` and `x-purpose` headers into the caller's `Identity`,
 * or into the refusal the gateway answers with. Pure with respect to HTTP: the plugin
 * (plugins/use-authentication.ts) calls it once per request and writes the response.
 *
 * Outcomes:
 * - no Authorization header → ANONYMOUS (with the declared purpose, if any);
 * - a valid `Bearer` JWT → its subject, scopes, municipality (`ags`) and purpose;
 * - a malformed header or a token that fails any check (signature, algorithm allow-list,
 *   issuer, audience, expiry/not-before with clock skew, required and well-formed claims)
 *   → 401 UNAUTHENTICATED with `WWW-Authenticate: Bearer error="invalid_token"`;
 * - the key set cannot be fetched → 503 INTERNAL_SERVER_ERROR (the token may be fine);
 * - a purpose outside the allowed list, or a header contradicting the token's purpose
 *   → 400 BAD_USER_INPUT (a value outside a closed vocabulary, like a 7-digit AGS; whether
 *   the caller may do something is authorization's business, and FORBIDDEN is row-level).
 * Messages are fixed texts: the token and its claims never appear in them.
 */
export type AuthOutcome =
  | { ok: true; identity: Identity }
  | {
      ok: false;
      status: 400 | 401 | 503;
      code: ErrorCode;
      message: string;
      /** Short machine-readable reason for logs and tests (never includes the token). */
      reason: string;
      /** Server-side detail for the log (the key source's error); never sent to the client. */
      detail?: string;
      headers: Record<string, string>;
    };

export interface AuthRequest {
  authorization: string | null;
  purpose: string | null;
}

export interface AuthenticatorOptions {
  trust: Trust;
  algorithms: readonly string[];
  clockSkewSeconds: number;
  allowedPurposes: readonly string[];
}

export type Authenticator = (request: AuthRequest) => Promise<AuthOutcome>;

/** Longest Authorization header considered; real access tokens are a few hundred bytes to a few KiB. */
export const MAX_AUTHORIZATION_LENGTH = 8_192;
/** `Bearer <JWS compact serialization>`: three base64url parts. */
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

const MESSAGES = {
  header: 'The Authorization header must be "Bearer <token>" with a signed JWT.',
  expired: 'The bearer token has expired.',
  notYetValid: 'The bearer token is not yet valid.',
  invalid: 'The bearer token is not valid.',
} as const;

function unauthenticated(reason: string, message: string): AuthOutcome {
  return {
    ok: false,
    status: 401,
    code: 'UNAUTHENTICATED',
    message,
    reason,
    headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"` },
  };
}

function badPurpose(reason: string, message: string): AuthOutcome {
  return { ok: false, status: 400, code: 'BAD_USER_INPUT', message, reason, headers: {} };
}

/** Which check a jose error stands for (reasons are for logs; clients see three messages). */
function rejection(error: unknown): AuthOutcome {
  if (error instanceof errors.JWTExpired) return unauthenticated('expired', MESSAGES.expired);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return unauthenticated('not-yet-valid', MESSAGES.notYetValid);
    const claim = ['iss', 'aud'].includes(error.claim) ? (error.claim === 'iss' ? 'issuer' : 'audience') : `claim-${error.claim}`;
    return unauthenticated(claim, MESSAGES.invalid);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return unauthenticated('algorithm', MESSAGES.invalid);
  if (error instanceof errors.JWSSignatureVerificationFailed) return unauthenticated('signature', MESSAGES.invalid);
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return unauthenticated('unknown-key', MESSAGES.invalid);
  return unauthenticated('malformed', MESSAGES.invalid);
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const allowed = new Set(options.allowedPurposes);
  const allowedList = [...allowed].join(', ');
  const verifyOptions = {
    issuer: options.trust.issuer,
    audience: options.trust.audience,
    algorithms: [...options.algorithms],
    clockTolerance: options.clockSkewSeconds,
    requiredClaims: ['sub', 'exp'],
  };

  const checkPurpose = (value: string, origin: string): AuthOutcome | null => {
    if (allowed.has(value)) return null;
    // Echo the value only when it has the harmless shape of a purpose identifier.
    const shown = PURPOSE_PATTERN.test(value) ? `"${value}"` : 'given';
    return badPurpose('purpose-unknown', `The purpose ${shown} (${origin}) is not allowed; allowed purposes: ${allowedList}.`);
  };

  return async ({ authorization, purpose: purposeHeader }) => {
    let payload: JWTPayload | null = null;
    if (authorization !== null) {
      if (authorization.length > MAX_AUTHORIZATION_LENGTH) return unauthenticated('header-too-long', MESSAGES.header);
      const match = BEARER.exec(authorization);
      if (!match) return unauthenticated('header', MESSAGES.header);
      try {
        ({ payload } = await jwtVerify(match[1]!, options.trust.getKey, verifyOptions));
      } catch (error) {
        if (error instanceof KeySourceUnavailable) {
          return {
            ok: false,
            status: 503,
            code: 'INTERNAL_SERVER_ERROR',
            message: "The token cannot be checked right now: the identity provider's keys are unavailable. Try again shortly.",
            reason: 'key-source-unavailable',
            detail: error.message,
            headers: { 'retry-after': '5' },
          };
        }
        return rejection(error);
      }
    }

    const headerPurpose = purposeHeader?.trim() || null;
    if (headerPurpose !== null) {
      const problem = checkPurpose(headerPurpose, 'x-purpose header');
      if (problem) return problem;
    }
    if (!payload) return { ok: true, identity: headerPurpose ? { ...ANONYMOUS, purpose: headerPurpose } : ANONYMOUS };

    if (subjectProblem(payload.sub)) return unauthenticated('claim-sub', MESSAGES.invalid);
    const { scopes, problem: scopeProblem } = parseScopes(payload.scope);
    if (scopeProblem) return unauthenticated('claim-scope', MESSAGES.invalid);
    if (agsProblem(payload.ags)) return unauthenticated('claim-ags', MESSAGES.invalid);
    let tokenPurpose: string | null = null;
    if (payload.purpose !== undefined && payload.purpose !== null) {
      if (typeof payload.purpose !== 'string') return unauthenticated('claim-purpose', MESSAGES.invalid);
      tokenPurpose = payload.purpose;
      const problem = checkPurpose(tokenPurpose, 'purpose claim of the token');
      if (problem) return problem;
    }
    if (tokenPurpose && headerPurpose && tokenPurpose !== headerPurpose) {
      return badPurpose('purpose-conflict', 'The x-purpose header contradicts the purpose claim of the bearer token; send the same purpose or leave the header out.');
    }
    return {
      ok: true,
      identity: {
        sub: payload.sub!,
        scopes,
        ags: typeof payload.ags === 'string' ? payload.ags : null,
        purpose: tokenPurpose ?? headerPurpose,
        anonymous: false,
      },
    };
  };
}

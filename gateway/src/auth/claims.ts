/**
 * Formats of the caller claims Amtsgraph reads from a token (`sub`, `scope`, `ags`,
 * `purpose`). One definition for both sides: the gateway's verifier (a token that breaks
 * them is invalid) and the development token script (`npm run token`, which refuses to
 * issue such a token). Each check returns a problem description without the received
 * value, so callers decide whether a value may be shown (the script echoes what the user
 * typed; the gateway never echoes token contents).
 */

/** Amtlicher Gemeindeschlüssel: 8 digits, leading zeros significant. */
export const AGS_PATTERN = /^\d{8}$/;
/** Purposes are short lower-case identifiers, e.g. `melderegisterauskunft`. */
export const PURPOSE_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
/** One scope token as in RFC 6749 §3.3 (printable ASCII except space, `"` and `\`). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
/** At most this many scopes in one token (bounds what is signed and forwarded per request). */
export const MAX_SCOPES = 64;
/** A subject: 1–256 characters, no whitespace or control characters. */
const SUBJECT = /^[^\p{Cc}\p{Z}]{1,256}$/u;

/** Problem text, or null when the value is fine. */
export type Problem = string | null;

export function subjectProblem(value: unknown): Problem {
  if (typeof value !== 'string' || !SUBJECT.test(value)) return 'must be 1 to 256 characters without spaces or control characters';
  return null;
}

/** Parses the space-separated `scope` claim; absent means no scopes. Duplicates are dropped. */
export function parseScopes(value: unknown): { scopes: string[]; problem: Problem } {
  if (value === undefined || value === null || value === '') return { scopes: [], problem: null };
  if (typeof value !== 'string') return { scopes: [], problem: 'must be a space-separated string of scopes' };
  const scopes = [...new Set(value.split(' ').filter(Boolean))];
  if (scopes.length > MAX_SCOPES) return { scopes: [], problem: `must hold at most ${MAX_SCOPES} scopes` };
  if (!scopes.every((s) => SCOPE_TOKEN.test(s))) {
    return { scopes: [], problem: 'must be scopes separated by single spaces, each 1 to 128 printable ASCII characters (no " or \\)' };
  }
  return { scopes, problem: null };
}

/** The `ags` claim is optional (not every caller works for a municipality); when present, 8 digits. */
export function agsProblem(value: unknown): Problem {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !AGS_PATTERN.test(value)) return 'must be an 8-digit Amtlicher Gemeindeschlüssel such as 05122000';
  return null;
}

/** Format of a purpose (whether it is allowed is decided against the configured list). */
export function purposeFormatProblem(value: unknown): Problem {
  if (typeof value !== 'string' || !PURPOSE_PATTERN.test(value)) {
    return 'must be a lower-case identifier (a-z, 0-9, _ and -, at most 64 characters)';
  }
  return null;
}

/**
 * Purposes of processing a caller may declare unless configured otherwise
 * (`authentication.allowedPurposes`, env AUTH_ALLOWED_PURPOSES).
 */
export const DEFAULT_ALLOWED_PURPOSES = ['melderegisterauskunft', 'gewerbeaufsicht', 'wahlvorbereitung', 'statistik'] as const;

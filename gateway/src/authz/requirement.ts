import type { Identity } from '../../../common/identity';

/**
 * What a caller needs to read one schema coordinate, combined from the Federation
 * directives `@authenticated`, `@requiresScopes(scopes:)` and `@policy(policies:)`.
 *
 * `scopes` and `policies` are in disjunctive normal form, exactly as the directives write
 * them: the outer list is OR, each inner list is AND. `null` means "no such requirement";
 * an empty outer list can never be satisfied (fail closed). Several directives on the same
 * coordinate (field, its parent type, its return type, fields it `@requires`) are combined
 * with AND (`allOf`).
 */
export interface Requirement {
  readonly authenticated: boolean;
  readonly scopes: readonly (readonly string[])[] | null;
  readonly policies: readonly (readonly string[])[] | null;
}

export const NO_REQUIREMENT: Requirement = Object.freeze({ authenticated: false, scopes: null, policies: null });

/** Bound on alternatives after combining (a product of ORs grows fast; real rules stay tiny). */
const MAX_ALTERNATIVES = 256;

export function isRestricted(requirement: Requirement): boolean {
  return requirement.authenticated || requirement.scopes !== null || requirement.policies !== null;
}

/** (A1 ∨ A2) ∧ (B1 ∨ B2) = (A1∪B1) ∨ (A1∪B2) ∨ (A2∪B1) ∨ (A2∪B2), de-duplicated. */
function andDnf(
  a: readonly (readonly string[])[] | null,
  b: readonly (readonly string[])[] | null,
): readonly (readonly string[])[] | null {
  if (a === null) return b;
  if (b === null) return a;
  const out = new Map<string, string[]>();
  for (const left of a) {
    for (const right of b) {
      const merged = [...new Set([...left, ...right])].sort();
      out.set(merged.join('\u0000'), merged);
      if (out.size > MAX_ALTERNATIVES) {
        throw new Error(`authorization rule too large: more than ${MAX_ALTERNATIVES} alternatives after combining directives`);
      }
    }
  }
  // Drop alternatives that are supersets of another one (they can never be the only way in).
  const alternatives = [...out.values()];
  return alternatives.filter(
    (candidate) => !alternatives.some((other) => other !== candidate && other.length < candidate.length && other.every((s) => candidate.includes(s))),
  );
}

export function allOf(...requirements: Requirement[]): Requirement {
  return requirements.reduce<Requirement>(
    (acc, next) => ({
      authenticated: acc.authenticated || next.authenticated,
      scopes: andDnf(acc.scopes, next.scopes),
      policies: andDnf(acc.policies, next.policies),
    }),
    NO_REQUIREMENT,
  );
}

export type DenialReason = 'authenticated' | 'scopes' | 'policy';

/** Evaluates a policy by name for one coordinate; resolves false when it denies or fails. */
export type PolicyCheck = (policy: string) => Promise<boolean>;

/**
 * Checks a requirement against an identity: authenticated (not anonymous), then scopes
 * (one inner list fully contained in the caller's scopes), then policies (every policy of
 * one inner list allows). Resolves with the first unmet part, or null when allowed.
 */
export async function unmetRequirement(requirement: Requirement, identity: Identity, checkPolicy: PolicyCheck): Promise<DenialReason | null> {
  if (requirement.authenticated && identity.anonymous) return 'authenticated';
  if (requirement.scopes !== null) {
    const granted = new Set(identity.scopes);
    if (!requirement.scopes.some((all) => all.every((scope) => granted.has(scope)))) return 'scopes';
  }
  if (requirement.policies !== null) {
    for (const all of requirement.policies) {
      let allowed = true;
      for (const policy of all) {
        if (!(await checkPolicy(policy))) {
          allowed = false;
          break;
        }
      }
      if (allowed) return null;
    }
    return 'policy';
  }
  return null;
}

/** Human-readable summary for error messages and logs (rules only, never data). */
export function describeRequirement(requirement: Requirement): string {
  const parts: string[] = [];
  if (requirement.authenticated) parts.push('an authenticated caller');
  const dnf = (alternatives: readonly (readonly string[])[]) =>
    alternatives.length === 0 ? '(nothing can satisfy it)' : alternatives.map((all) => all.join(' and ')).join(' or ');
  if (requirement.scopes !== null) parts.push(`scope ${dnf(requirement.scopes)}`);
  if (requirement.policies !== null) parts.push(`policy ${dnf(requirement.policies)}`);
  return parts.join(', ');
}

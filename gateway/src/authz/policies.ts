import type { Identity } from '../../../common/identity';
import type { Logger } from '../../../common/logger';

/**
 * `@policy(policies: [["name"]])` is evaluated in the gateway process by typed functions
 * registered by name in the gateway config (`authorization.policies`). A policy sees the
 * verified caller, the operation and the coordinate it guards, and never any data.
 */
export interface PolicyContext {
  readonly identity: Identity;
  readonly operation: { readonly name: string | null; readonly type: 'query' | 'mutation' | 'subscription' };
  /** The schema coordinate the policy guards, e.g. `Person.birthDate`. */
  readonly coordinate: string;
}

export type PolicyFunction = (context: PolicyContext) => boolean | Promise<boolean>;

/** Built in: allowed only when the caller declared a purpose from `authorization.allowedPurposes`. */
export const PURPOSE_BOUND = 'purpose-bound';

export function purposeBound(allowedPurposes: readonly string[]): PolicyFunction {
  const allowed = new Set(allowedPurposes);
  return ({ identity }) => !identity.anonymous && identity.purpose !== null && allowed.has(identity.purpose);
}

/** Bound on the set of unknown policy names already warned about. */
const MAX_WARNED = 100;

/**
 * Resolves a policy by name and runs it. Configured policies override built-in ones of the
 * same name. Unknown names deny (and are logged once each); a policy that throws or returns
 * anything but `true` denies.
 */
export function createPolicyEvaluator(options: {
  allowedPurposes: readonly string[];
  policies: Readonly<Record<string, PolicyFunction>>;
  logger: Logger;
}): (name: string, context: PolicyContext) => Promise<boolean> {
  const policies: Record<string, PolicyFunction> = { [PURPOSE_BOUND]: purposeBound(options.allowedPurposes), ...options.policies };
  const warned = new Set<string>();
  return async (name, context) => {
    const policy = Object.prototype.hasOwnProperty.call(policies, name) ? policies[name] : undefined;
    if (!policy) {
      if (!warned.has(name) && warned.size < MAX_WARNED) {
        warned.add(name);
        options.logger.warn(
          { policy: name, coordinate: context.coordinate },
          'unknown @policy in the supergraph: access denied; register it under authorization.policies',
        );
      }
      return false;
    }
    try {
      return (await policy(context)) === true;
    } catch (error) {
      options.logger.error({ policy: name, coordinate: context.coordinate, err: (error as Error).message }, 'policy failed: access denied');
      return false;
    }
  };
}

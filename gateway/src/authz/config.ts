import { z } from 'zod';
import { ConfigError } from '../../../common/env';
import type { PolicyFunction } from './policies';

/**
 * The `authorization` section of the gateway configuration (gateway/src/config.ts embeds it
 * and passes the environment to `authorizationFromEnv`).
 */
const PURPOSE = /^[a-z][a-z0-9_-]{0,63}$/;
export const AUTHORIZATION_MODES = ['filter', 'reject', 'dry-run'] as const;

export const authorizationSchema = z
  .object({
    /**
     * `filter` (default): denied fields are removed and answered with null plus an error;
     * `reject`: an operation with any denied field is refused (HTTP 403), nothing executed;
     * `dry-run`: everything is served, denied fields are only logged (env AUTHZ_MODE).
     */
    mode: z.enum(AUTHORIZATION_MODES).default('filter'),
    /**
     * Purposes for which the built-in `purpose-bound` policy allows access (env
     * AUTHZ_ALLOWED_PURPOSES). The caller declares a purpose in the token (`purpose`) or the
     * `x-purpose` header; authentication checks that it is a known purpose at all.
     */
    allowedPurposes: z
      .array(z.string().regex(PURPOSE, 'must be a lower-case identifier (a-z, 0-9, _ and -, at most 64 characters)'))
      .max(100)
      .default(['melderegisterauskunft']),
    /**
     * Policies for `@policy(policies: [["name"]])`, by name: `(ctx: { identity, operation,
     * coordinate }) => boolean | Promise<boolean>`. They override built-in ones of the same
     * name; a name used in the supergraph but registered nowhere denies (and is logged once).
     */
    policies: z
      .record(
        z.string().min(1),
        z.custom<PolicyFunction>((value) => typeof value === 'function', {
          message: 'must be a function (context: { identity, operation, coordinate }) => boolean | Promise<boolean>',
        }),
      )
      .default({}),
  })
  .strict()
  .default({});

export type AuthorizationConfig = Readonly<z.output<typeof authorizationSchema>>;

export function freezeAuthorization(config: z.output<typeof authorizationSchema>): AuthorizationConfig {
  return Object.freeze({
    ...config,
    allowedPurposes: Object.freeze([...config.allowedPurposes]) as string[],
    policies: Object.freeze({ ...config.policies }),
  });
}

/** AUTHZ_MODE (filter|reject|dry-run), AUTHZ_ALLOWED_PURPOSES (comma-separated). */
export function authorizationFromEnv(env: NodeJS.ProcessEnv): z.input<typeof authorizationSchema> {
  const mode = env.AUTHZ_MODE || undefined;
  if (mode !== undefined && !(AUTHORIZATION_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(`AUTHZ_MODE must be one of ${AUTHORIZATION_MODES.join(', ')}, received "${mode}"`);
  }
  const raw = env.AUTHZ_ALLOWED_PURPOSES;
  let allowedPurposes: string[] | undefined;
  if (raw !== undefined && raw !== '') {
    allowedPurposes = raw.split(',').map((p) => p.trim()).filter(Boolean);
    if (allowedPurposes.some((p) => !PURPOSE.test(p))) {
      throw new ConfigError(`AUTHZ_ALLOWED_PURPOSES must be a comma-separated list of lower-case identifiers (a-z, 0-9, _ and -), received "${raw}"`);
    }
  }
  return { mode: mode as (typeof AUTHORIZATION_MODES)[number] | undefined, allowedPurposes };
}

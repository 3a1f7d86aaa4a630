import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../../common/env';
import { DEV_DIR } from '../../../common/secrets';

/**
 * The `audit` section of the gateway configuration (gateway/src/config.ts embeds it and
 * passes the environment to `auditFromEnv`).
 */
export const AUDIT_STORES = ['file', 'redis', 'none'] as const;
export const DEFAULT_AUDIT_FILE = path.join(DEV_DIR, 'audit.jsonl');

const redisUrl = z
  .string()
  .url()
  .refine((url) => /^rediss?:\/\//.test(url), 'must be a redis:// or rediss:// URL');

export const auditSchema = z
  .object({
    /**
     * Where records go (env AUDIT_STORE): `file` (default; JSON Lines), `redis` (a stream),
     * or `none` (no audit trail: only for development, the gateway warns at start).
     */
    store: z.enum(AUDIT_STORES).default('file'),
    /** The JSON Lines file (env AUDIT_FILE); default `.amtsgraph/audit.jsonl` in the repository. */
    file: z.string().min(1).default(DEFAULT_AUDIT_FILE),
    /** fdatasync after every record, so it is on disk before the response is sent. */
    fsync: z.boolean().default(true),
    redis: z
      .object({
        /** env AUDIT_REDIS_URL */
        url: redisUrl.default('redis://127.0.0.1:6379'),
        /** Stream key (env AUDIT_REDIS_STREAM). */
        stream: z.string().min(1).max(256).default('amtsgraph:audit'),
        /** How long one XADD may take before the record counts as not written (fail closed). */
        timeoutMs: z.number().int().min(10).max(60_000).default(2_000),
      })
      .strict()
      .default({}),
    /** At most this many entity ids per record (the record says when there were more). */
    maxEntities: z.number().int().min(0).max(100_000).default(1_000),
    /** Serve `GET /audit` (requires a verified identity with scope `audit:read`). */
    endpoint: z.boolean().default(true),
  })
  .strict()
  .default({});

export type AuditConfig = Readonly<z.output<typeof auditSchema>>;

export function freezeAudit(config: z.output<typeof auditSchema>): AuditConfig {
  return Object.freeze({ ...config, redis: Object.freeze({ ...config.redis }) });
}

/** AUDIT_STORE (file|redis|none), AUDIT_FILE, AUDIT_REDIS_URL, AUDIT_REDIS_STREAM. */
export function auditFromEnv(env: NodeJS.ProcessEnv): z.input<typeof auditSchema> {
  const store = env.AUDIT_STORE || undefined;
  if (store !== undefined && !(AUDIT_STORES as readonly string[]).includes(store)) {
    throw new ConfigError(`AUDIT_STORE must be one of ${AUDIT_STORES.join(', ')}, received "${store}"`);
  }
  const url = env.AUDIT_REDIS_URL || undefined;
  if (url !== undefined && !redisUrl.safeParse(url).success) {
    throw new ConfigError(`AUDIT_REDIS_URL must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379, received "${url}"`);
  }
  return {
    store: store as (typeof AUDIT_STORES)[number] | undefined,
    file: env.AUDIT_FILE || undefined,
    redis: { url, stream: env.AUDIT_REDIS_STREAM || undefined },
  };
}

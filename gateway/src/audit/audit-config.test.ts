import { ConfigError } from '../../../common/env';
import { authorizationFromEnv } from '../authz/config';
import { resolveConfig } from '../config';
import { auditFromEnv, DEFAULT_AUDIT_FILE } from './config';
import { parseSince, RecentRecords, type AuditRecord } from './record';

/** Configuration of authorization and audit, and the time filters of the audit trail. */
const SECRET = 'audit-config-test-secret-0123456789abcdef';

describe('authorization and audit configuration', () => {
  it('defaults: filter mode, purpose-bound for melderegisterauskunft, audit file in .amtsgraph/', () => {
    const config = resolveConfig({ identitySecret: SECRET });
    expect(config.authorization).toEqual({ mode: 'filter', allowedPurposes: ['melderegisterauskunft'], policies: {} });
    expect(config.audit).toEqual({
      store: 'file',
      file: DEFAULT_AUDIT_FILE,
      fsync: true,
      redis: { url: 'redis://127.0.0.1:6379', stream: 'amtsgraph:audit', timeoutMs: 2_000 },
      maxEntities: 1_000,
      endpoint: true,
    });
    expect(DEFAULT_AUDIT_FILE).toMatch(/\.amtsgraph\/audit\.jsonl$/);
    expect(Object.isFrozen(config.authorization) && Object.isFrozen(config.audit)).toBe(true);
  });

  it('bad values name the option, the expectation and the received value', () => {
    expect(() => resolveConfig({ identitySecret: SECRET, authorization: { mode: 'lenient' as never } })).toThrow(
      /gateway option "authorization.mode": Invalid enum value. Expected 'filter' \| 'reject' \| 'dry-run', received 'lenient'/,
    );
    expect(() => resolveConfig({ identitySecret: SECRET, authorization: { policies: { p: 'yes' as never } } })).toThrow(
      /gateway option "authorization.policies.p": must be a function/,
    );
    expect(() => resolveConfig({ identitySecret: SECRET, audit: { redis: { url: 'http://127.0.0.1:6379' } } })).toThrow(
      /gateway option "audit.redis.url": must be a redis:\/\/ or rediss:\/\/ URL/,
    );
  });

  it('environment: AUTHZ_MODE, AUTHZ_ALLOWED_PURPOSES, AUDIT_STORE, AUDIT_FILE, AUDIT_REDIS_*', () => {
    expect(authorizationFromEnv({ AUTHZ_MODE: 'dry-run', AUTHZ_ALLOWED_PURPOSES: 'melderegisterauskunft, statistik' })).toEqual({
      mode: 'dry-run',
      allowedPurposes: ['melderegisterauskunft', 'statistik'],
    });
    expect(() => authorizationFromEnv({ AUTHZ_MODE: 'off' })).toThrow(new ConfigError('AUTHZ_MODE must be one of filter, reject, dry-run, received "off"'));
    expect(() => authorizationFromEnv({ AUTHZ_ALLOWED_PURPOSES: 'Statistik' })).toThrow(/AUTHZ_ALLOWED_PURPOSES must be .* received "Statistik"/);
    expect(auditFromEnv({ AUDIT_STORE: 'redis', AUDIT_REDIS_URL: 'redis://cache:6379', AUDIT_REDIS_STREAM: 'audit:hb', AUDIT_FILE: '/var/log/a.jsonl' })).toEqual({
      store: 'redis',
      file: '/var/log/a.jsonl',
      redis: { url: 'redis://cache:6379', stream: 'audit:hb' },
    });
    expect(() => auditFromEnv({ AUDIT_STORE: 'syslog' })).toThrow(new ConfigError('AUDIT_STORE must be one of file, redis, none, received "syslog"'));
    expect(() => auditFromEnv({ AUDIT_REDIS_URL: 'cache:6379' })).toThrow(/AUDIT_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL .* received "cache:6379"/);
  });
});

describe('audit time filters', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  it('parseSince: ISO dates and date-times, or durations back from now', () => {
    expect(parseSince('2026-03-01', now)).toEqual(new Date('2026-03-01T00:00:00Z'));
    expect(parseSince('2026-03-01T08:30:00Z', now)).toEqual(new Date('2026-03-01T08:30:00Z'));
    expect(parseSince('30m', now)).toEqual(new Date('2026-03-10T11:30:00Z'));
    expect(parseSince('24h', now)).toEqual(new Date('2026-03-09T12:00:00Z'));
    expect(parseSince('7d', now)).toEqual(new Date('2026-03-03T12:00:00Z'));
    expect([parseSince('yesterday', now), parseSince('2026-13-45', now), parseSince('7w', now), parseSince('', now)]).toEqual([null, null, null, null]);
  });

  it('RecentRecords keeps the most recent `limit` records, oldest first, and says whether more matched', () => {
    const record = (n: number) => ({ correlationId: String(n) }) as AuditRecord;
    const recent = new RecentRecords(3);
    for (let n = 1; n <= 1000; n++) recent.push(record(n));
    expect(recent.result()).toEqual({ records: [record(998), record(999), record(1000)], truncated: true });
    const few = new RecentRecords(3);
    few.push(record(1));
    expect(few.result()).toEqual({ records: [record(1)], truncated: false });
  });
});

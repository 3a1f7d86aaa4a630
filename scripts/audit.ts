import { statSync } from 'node:fs';
import { ConfigError } from '../common/env';
import { silentLogger } from '../common/logger';
import { auditFromEnv, auditSchema } from '../gateway/src/audit/config';
import { queryFile } from '../gateway/src/audit/file-store';
import { parseSince, type AuditFilter, type AuditQueryResult, type AuditRecord } from '../gateway/src/audit/record';
import { createRedisAuditStore } from '../gateway/src/audit/redis-store';
import { parseCommand, runMain } from './cli';

/**
 * `npm run -s audit -- [--subject …] [--since …] [--until …] [--limit N] [--json]
 * [--file PATH | --redis URL [--stream KEY]]` lists audit records of personal-data access:
 * the most recent matching ones (oldest first), as a table or as JSON. Without --file or
 * --redis it reads the store the gateway writes to (AUDIT_STORE, AUDIT_FILE,
 * AUDIT_REDIS_URL, AUDIT_REDIS_STREAM; default `.amtsgraph/audit.jsonl`).
 */
export const USAGE = `Usage: npm run -s audit -- [--subject <sub>] [--since <time>] [--until <time>] [--limit <n>] [--json] [--file <path> | --redis <url> [--stream <key>]]

  --subject  only records of this caller (the token's sub)
  --since    from this time on: ISO date or date-time (2026-03-01, 2026-03-01T08:00:00Z) or a duration back from now (30m, 24h, 7d)
  --until    before this time (same formats)
  --limit    at most this many records, the most recent ones (default 100, at most 100000)
  --json     print {"records": [...], "truncated": bool} instead of a table
  --file     read this JSON Lines file (default: AUDIT_FILE or .amtsgraph/audit.jsonl)
  --redis    read the Redis stream at this URL instead (default stream amtsgraph:audit)
  --stream   the Redis stream key (AUDIT_REDIS_STREAM)
`;

const MAX_LIMIT = 100_000;

export interface AuditIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

const MAX_ENTITIES_SHOWN = 3;

function entitiesCell(record: AuditRecord): string {
  const shown = record.entities.slice(0, MAX_ENTITIES_SHOWN).map((e) => `${e.type}:${e.id}`);
  const more = record.entities.length - shown.length;
  return [...shown, ...(more > 0 || record.entitiesTruncated ? [`+${more}${record.entitiesTruncated ? '+' : ''}`] : [])].join(' ') || '-';
}

/** A plain text table: one line per record, columns padded to their widest cell. */
export function formatTable(result: AuditQueryResult): string {
  const header = ['time', 'subject', 'ags', 'purpose', 'operation', 'outcome', 'coordinates', 'entities', 'correlation id'];
  const rows = result.records.map((r) => [
    r.time,
    r.subject ?? '(anonymous)',
    r.ags ?? '-',
    r.purpose ?? '-',
    r.operationName ?? `(${r.signature.slice(0, 12)})`,
    r.outcome,
    r.coordinates.map((c) => (r.denied.includes(c) ? `${c}!` : c)).join(' '),
    entitiesCell(r),
    r.correlationId,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const footer = `${result.records.length} record${result.records.length === 1 ? '' : 's'}${result.truncated ? ' (more matched: raise --limit or narrow --since)' : ''}; "!" marks denied coordinates.`;
  return `${[line(header), ...rows.map(line)].join('\n')}\n${footer}\n`;
}

/** Why `file` cannot be read as the audit trail (null: it can be tried). */
function fileProblem(file: string): string | null {
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'file not found' : null;
  }
  return stats.isDirectory() ? 'a folder, not a file' : null;
}

/** Runs the command; returns the exit code (0 ok, 1 store unreadable, 2 bad arguments or no such file). */
export async function auditCommand(argv: string[], io: AuditIo): Promise<number> {
  const parsed = parseCommand(
    'audit',
    USAGE,
    argv,
    {
    subject: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
    file: { type: 'string' },
    redis: { type: 'string' },
    stream: { type: 'string' },
    },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, fail } = parsed;
  const filter: AuditFilter = { limit: 100 };
  if (typeof values.subject === 'string') filter.subject = values.subject;
  for (const name of ['since', 'until'] as const) {
    const raw = values[name];
    if (typeof raw !== 'string') continue;
    const time = parseSince(raw);
    if (!time) return fail(`--${name} must be an ISO date or date-time (2026-03-01, 2026-03-01T08:00:00Z) or a duration such as 30m, 24h or 7d, received ${JSON.stringify(raw)}`);
    filter[name] = time;
  }
  if (typeof values.limit === 'string') {
    const limit = Number(values.limit);
    if (!/^\d+$/.test(values.limit) || limit < 1 || limit > MAX_LIMIT) return fail(`--limit must be a whole number from 1 to ${MAX_LIMIT}, received ${JSON.stringify(values.limit)}`);
    filter.limit = limit;
  }
  if (values.file && values.redis) return fail('give either --file or --redis, not both');

  let config;
  try {
    config = auditSchema.parse(auditFromEnv(io.env));
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.message);
    throw error;
  }
  const useRedis = typeof values.redis === 'string' || (values.file === undefined && config.store === 'redis');
  let result: AuditQueryResult;
  let where: string;
  try {
    if (useRedis) {
      const store = createRedisAuditStore({
        url: (values.redis as string | undefined) ?? config.redis.url,
        stream: (values.stream as string | undefined) ?? config.redis.stream,
        timeoutMs: 5_000,
        logger: silentLogger,
      });
      where = store.location;
      try {
        result = await store.query(filter);
      } finally {
        await store.close();
      }
    } else {
      where = (values.file as string | undefined) ?? config.file;
      // The gateway treats a missing file as "no records yet"; here it is almost always a
      // wrong path, and an empty table would hide that.
      const problem = fileProblem(where);
      if (problem) {
        return fail(
          values.file === undefined
            ? `${problem}: ${where} (AUDIT_FILE, or its default): the gateway creates it with its first audit record. If the gateway writes elsewhere, pass its AUDIT_FILE with --file, or --redis <url> when it runs with AUDIT_STORE=redis`
            : `${problem}: ${where}: pass the file the gateway writes (its AUDIT_FILE setting, default .amtsgraph/audit.jsonl), or --redis <url> when it runs with AUDIT_STORE=redis`,
        );
      }
      result = await queryFile(where, filter);
    }
  } catch (error) {
    io.err(`audit: cannot read the audit trail: ${(error as Error).message}\n`);
    return 1;
  }
  io.out(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatTable(result));
  if (!values.json) io.err(`(read from ${where})\n`);
  return 0;
}

if (require.main === module) runMain('audit', auditCommand);

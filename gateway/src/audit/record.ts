import type { EntityRef } from '../authz/reshape';

/**
 * One audit record: who read (or tried to read) restricted data, in which role, for which
 * purpose, with which operation, and which entities were in the answer. It never holds field
 * values: no names, birth dates or addresses, no query text, no variables (the operation is
 * named by the sha256 of its normalised signature, in which literals are hidden).
 */
export interface AuditRecord {
  /** ISO 8601 time the record was written. */
  time: string;
  /** The caller's subject; null for anonymous callers. */
  subject: string | null;
  anonymous: boolean;
  /** The municipality (AGS) the caller works for. */
  ags: string | null;
  /** The declared purpose of processing. */
  purpose: string | null;
  operationName: string | null;
  operationType: 'query' | 'mutation' | 'subscription';
  /** sha256 (hex) of the normalised operation signature (the same hash the ops page and metrics use). */
  signature: string;
  /** Restricted schema coordinates the operation requested, e.g. `Person.birthDate`. */
  coordinates: string[];
  /** Of those, the ones authorization denied (filter: removed; reject: refused; dry-run: served anyway). */
  denied: string[];
  /** Audited entities the response contained (type and key, never other values). */
  entities: EntityRef[];
  /** True when the response held more entities than recorded (`audit.maxEntities`). */
  entitiesTruncated: boolean;
  correlationId: string;
  /** Records the subgraphs refused by their row-level rule (errors with code FORBIDDEN). */
  rowLevelDenials: number;
  /**
   * `served`: all requested restricted data was served; `filtered`: some was removed by
   * authorization or refused by a row-level rule; `rejected`: nothing was executed.
   */
  outcome: 'served' | 'filtered' | 'rejected';
}

export interface AuditFilter {
  /** Exact subject. */
  subject?: string;
  /** Records at or after this time. */
  since?: Date;
  /** Records before this time. */
  until?: Date;
  /** At most this many records: the most recent ones that match. */
  limit: number;
}

export interface AuditQueryResult {
  /** Matching records, oldest first (the most recent `limit` of them). */
  records: AuditRecord[];
  /** More records matched than `limit`. */
  truncated: boolean;
}

export function matchesFilter(record: AuditRecord, filter: AuditFilter): boolean {
  if (filter.subject !== undefined && record.subject !== filter.subject) return false;
  const time = Date.parse(record.time);
  if (filter.since && !(time >= filter.since.getTime())) return false;
  if (filter.until && !(time < filter.until.getTime())) return false;
  return true;
}

/** Where records go. `append` resolves only once the record is durable (flushed/acknowledged). */
export interface AuditStore {
  readonly kind: 'file' | 'redis';
  /** A human-readable location for logs and the CLI (file path or stream key, never credentials). */
  readonly location: string;
  append(record: AuditRecord): Promise<void>;
  query(filter: AuditFilter): Promise<AuditQueryResult>;
  close(): Promise<void>;
}

/** Keeps the most recent `limit` of a stream of matching records (oldest first). */
export class RecentRecords {
  private buffer: AuditRecord[] = [];
  private dropped = false;
  constructor(private readonly limit: number) {}
  push(record: AuditRecord): void {
    this.buffer.push(record);
    // Trim in batches: amortised O(1) per record however long the file is.
    if (this.buffer.length >= 2 * this.limit + 64) {
      this.buffer = this.buffer.slice(this.buffer.length - this.limit);
      this.dropped = true;
    }
  }
  result(): AuditQueryResult {
    const truncated = this.dropped || this.buffer.length > this.limit;
    return { records: this.buffer.slice(Math.max(0, this.buffer.length - this.limit)), truncated };
  }
}

/**
 * Parses `--since`/`since=` values: an ISO date or date-time (`2026-03-01`,
 * `2026-03-01T12:00:00Z`) or a duration back from now (`30m`, `24h`, `7d`). Null when invalid.
 */
export function parseSince(value: string, now: Date = new Date()): Date | null {
  const duration = /^(\d{1,6})([smhd])$/.exec(value);
  if (duration) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(duration[1]) * unit);
  }
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time);
}

import { createReadStream } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { matchesFilter, RecentRecords, type AuditFilter, type AuditQueryResult, type AuditRecord, type AuditStore } from './record';

/**
 * Audit records as JSON Lines in an append-only file (one record per line, opened with
 * O_APPEND, owner-only permissions). `append` resolves after the line is written and — with
 * `fsync` (default) — `fdatasync`ed, so a record is on disk before the response that it
 * audits is sent. Appends are serialised, so lines never interleave. After a failed write
 * the file is reopened on the next append (a disk that was full or a directory that was
 * missing recovers without a restart), and so is a file that was deleted or rotated away
 * (the path is checked before each append; the new file gets the record).
 */
export interface FileAuditStoreOptions {
  path: string;
  /** fdatasync after every record (default true). */
  fsync?: boolean;
}

export function createFileAuditStore(options: FileAuditStoreOptions): AuditStore {
  const file = path.resolve(options.path);
  const fsync = options.fsync ?? true;
  let handle: FileHandle | null = null;
  let inode: number | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  /**
   * True when the path no longer names the file we hold open (deleted, or moved away by log
   * rotation): records written to the old handle would be lost to anyone reading the path.
   */
  const pathMoved = async () => {
    try {
      return (await stat(file)).ino !== inode;
    } catch {
      return true;
    }
  };

  const write = async (line: string) => {
    try {
      if (handle && (await pathMoved())) {
        const old = handle;
        handle = null;
        await old.close().catch(() => {});
      }
      if (!handle) {
        await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
        handle = await open(file, 'a', 0o600);
        inode = (await handle.stat()).ino;
      }
      await handle.appendFile(line, 'utf8');
      if (fsync) await handle.datasync();
    } catch (error) {
      const failed = handle;
      handle = null;
      await failed?.close().catch(() => {});
      throw error;
    }
  };

  return {
    kind: 'file',
    location: file,
    append(record) {
      const line = `${JSON.stringify(record)}\n`;
      const written = queue.then(() => write(line));
      queue = written.catch(() => {});
      return written;
    },
    query: (filter) => queryFile(file, filter),
    async close() {
      await queue;
      const open = handle;
      handle = null;
      await open?.close();
    },
  };
}

/** Reads a JSON Lines audit file (streaming, so its size does not matter); a missing file has no records. */
export async function queryFile(file: string, filter: AuditFilter): Promise<AuditQueryResult> {
  const recent = new RecentRecords(filter.limit);
  const stream = createReadStream(file, { encoding: 'utf8' });
  try {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      let record: AuditRecord;
      try {
        record = JSON.parse(line) as AuditRecord;
      } catch {
        continue; // a line cut short by a crash mid-write
      }
      if (matchesFilter(record, filter)) recent.push(record);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], truncated: false };
    throw error;
  } finally {
    stream.destroy();
  }
  return recent.result();
}

import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFileAuditStore } from './file-store';
import type { AuditRecord } from './record';

const record = (n: number) => ({ time: new Date(0).toISOString(), correlationId: `req-${n}`, outcome: 'served' }) as unknown as AuditRecord;

describe('file audit store', () => {
  it('keeps writing to the path after the file was deleted or rotated away (no silent loss)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'amtsgraph-audit-'));
    const file = path.join(dir, 'audit.jsonl');
    const store = createFileAuditStore({ path: file });
    await store.append(record(1));
    rmSync(file);
    await store.append(record(2));
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).correlationId)).toEqual(['req-2']);
    renameSync(file, `${file}.1`);
    await store.append(record(3));
    expect(readFileSync(`${file}.1`, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).correlationId)).toEqual(['req-3']);
    await store.close();
  });
});

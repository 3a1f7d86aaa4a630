import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

/** Folder of the real public data the stand-ins serve (see stand-ins/data/SOURCES.md). */
export const DATA_DIR = path.join(__dirname, '..', 'data');

const cache = new Map<string, Record<string, string>[]>();

/** Reads a CSV file under stand-ins/data/ into rows of strings (read once per process). */
export function readCsv(relativePath: string): Record<string, string>[] {
  const cached = cache.get(relativePath);
  if (cached) return cached;
  const rows = parse(readFileSync(path.join(DATA_DIR, relativePath), 'utf8'), {
    columns: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
  cache.set(relativePath, rows);
  return rows;
}

/** Deterministic pseudo-random numbers (mulberry32) so synthetic data is the same every run. */
export function seededRandom(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

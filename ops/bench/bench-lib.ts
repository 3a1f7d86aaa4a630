/**
 * Pure helpers of `npm run bench` (ops/bench/run.ts): options, response checking, statistics,
 * Markdown. No I/O here (bench-lib.test.ts covers them).
 */

export const SUITES = ['all', 'federation', 'amtsgraph', 'distinct'] as const;
export type Suite = (typeof SUITES)[number];

export interface BenchOptions {
  suite: Suite;
  rounds: number;
  /** Measured seconds per variant and round. */
  duration: number;
  /** Warm-up seconds before the measured window (same connections, same load). */
  warmup: number;
  connections: number;
  /** Variant ids to run (federation suite), null = the default set. */
  only: string[] | null;
  /** Operations of `--suite distinct`. */
  operations: number;
  /** Time bound of `--suite distinct`, in seconds: it stops after the running batch of 10,000. */
  maxSeconds: number;
}

export const DEFAULT_OPTIONS: BenchOptions = { suite: 'all', rounds: 3, duration: 10, warmup: 4, connections: 50, only: null, operations: 100_000, maxSeconds: 600 };

const NUMERIC = { rounds: [1, 50], duration: [1, 600], warmup: [0, 600], connections: [1, 1000], operations: [1, 10_000_000], 'max-seconds': [10, 7200] } as const;
const FIELD = { 'max-seconds': 'maxSeconds' } as Record<string, keyof BenchOptions>;

/** Parses `--name value` pairs; throws an error that says which flag is wrong and what it takes. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (!flag.startsWith('--')) throw new Error(`unexpected argument "${flag}": flags look like --rounds 3`);
    const name = flag.slice(2);
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    if (name === 'suite') {
      if (!(SUITES as readonly string[]).includes(value)) throw new Error(`--suite must be one of ${SUITES.join(', ')}, received "${value}"`);
      options.suite = value as Suite;
    } else if (name === 'only') {
      const ids = value.split(',').map((v) => v.trim()).filter(Boolean);
      if (!ids.length) throw new Error(`--only needs a comma-separated list of variant ids such as a,c,f`);
      options.only = ids;
    } else if (name in NUMERIC) {
      const [min, max] = NUMERIC[name as keyof typeof NUMERIC];
      const number = Number(value);
      if (!Number.isInteger(number) || number < min || number > max) {
        throw new Error(`${flag} must be a whole number from ${min} to ${max}, received "${value}"`);
      }
      (options as unknown as Record<string, number>)[FIELD[name] ?? name] = number;
    } else {
      throw new Error(`unknown flag ${flag}; known: --suite, --rounds, --duration, --warmup, --connections, --only, --operations, --max-seconds`);
    }
  }
  return options;
}

/** JSON with object keys sorted at every level: equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Checks response bodies against a reference: exact bytes first (fast), then canonical JSON
 * (key order and whitespace may differ between gateways). A body accepted canonically is
 * remembered (at most `remember` distinct ones) so that its repeats take the fast path.
 */
export function createBodyChecker(reference: string, remember = 8): (body: string) => boolean {
  const referenceCanonical = canonicalJson(JSON.parse(reference));
  const accepted = new Set<string>([reference]);
  return (body) => {
    if (accepted.has(body)) return true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return false;
    }
    if (canonicalJson(parsed) !== referenceCanonical) return false;
    if (accepted.size < remember) accepted.add(body);
    return true;
  };
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!finite.length) return NaN;
  const middle = finite.length >> 1;
  return finite.length % 2 ? finite[middle]! : (finite[middle - 1]! + finite[middle]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** A number for a table: `—` when unknown, else `digits` decimals. */
export function fmt(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

/** `value / base` as `1.23×`, `—` when either is unknown. */
export function ratio(value: number | null | undefined, base: number | null | undefined): string {
  if (value === null || value === undefined || base === null || base === undefined) return '—';
  if (!Number.isFinite(value) || !Number.isFinite(base) || base === 0) return '—';
  return `${(value / base).toFixed(2)}×`;
}

/** `value / base` in percent (`0.48 %`), `—` when either is unknown. */
export function percentOf(value: number | null | undefined, base: number | null | undefined): string {
  if (value === null || value === undefined || base === null || base === undefined) return '—';
  if (!Number.isFinite(value) || !Number.isFinite(base) || base === 0) return '—';
  const percent = (value / base) * 100;
  return `${percent.toFixed(percent < 10 ? 2 : 1)} %`;
}

/** A Markdown table; `align` per column: 'l' or 'r' (default 'r' except the first). */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const alignment = headers.map((_, i) => align?.[i] ?? (i === 0 ? 'l' : 'r'));
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(escape).join(' | ')} |`;
  const separator = `|${alignment.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`;
  for (const row of rows) {
    if (row.length !== headers.length) throw new Error(`table row has ${row.length} cells, the header ${headers.length}`);
  }
  return [line(headers), separator, ...rows.map(line)].join('\n');
}

/** Round r (1-based) runs the variants forward when odd, reversed when even. */
export function roundOrder<T>(variants: readonly T[], round: number): T[] {
  return round % 2 === 1 ? [...variants] : [...variants].reverse();
}

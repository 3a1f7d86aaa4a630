import type { BenchOptions } from '../bench-lib';

/** What run.ts hands every suite. */
export interface SuiteContext {
  options: BenchOptions;
  out: (line: string) => void;
  /** A temp folder of this run (removed at exit). */
  tempDir: string;
  redisUrl: string;
  /** Random hex of this run: Redis key prefixes are `amtsgraph-bench-<runId>-…`. */
  runId: string;
  /** Seconds since the bench started (progress lines). */
  elapsed: () => string;
}

/** Redis key prefix of one round of a cached variant. */
export const redisPrefix = (runId: string, what: string) => `amtsgraph-bench-${runId}-${what}:`;

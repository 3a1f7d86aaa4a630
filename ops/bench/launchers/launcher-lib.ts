import type http from 'node:http';

/**
 * Shared by every child process the bench starts (ops/bench/processes.ts spawns them):
 * one READY line on stdout, exit when the parent goes away, and the bench-only `GET /__mark`.
 */
export const READY_PREFIX = 'BENCH_READY ';

/** Tells the parent this child listens; `info` is JSON (ports, URLs). */
export function announceReady(info: Record<string, unknown>): void {
  process.stdout.write(`${READY_PREFIX}${JSON.stringify(info)}\n`);
}

/**
 * The parent holds our stdin open; when it ends (parent exited or was killed), so do we:
 * no orphans even when the parent dies without cleaning up. SIGTERM/SIGINT exit at once.
 */
export function exitWithParent(cleanup?: () => Promise<void> | void): void {
  let exiting = false;
  const exit = async () => {
    if (exiting) return;
    exiting = true;
    const timer = setTimeout(() => process.exit(0), 2_000);
    timer.unref();
    try {
      await cleanup?.();
    } finally {
      process.exit(0);
    }
  };
  process.stdin.on('end', exit);
  process.stdin.on('error', exit);
  process.stdin.resume();
  process.once('SIGTERM', exit);
  process.once('SIGINT', exit);
}

/**
 * `GET /__mark`: this process's CPU time and memory. With `?gc=1` (and `--expose-gc`) a full
 * GC runs first so that heap figures are live data, not garbage.
 */
export function handleMark(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.method !== 'GET' || !req.url?.startsWith('/__mark')) return false;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (req.url.includes('gc=1') && gc) gc();
  const body = JSON.stringify({ cpu: process.cpuUsage(), mem: process.memoryUsage(), gc: Boolean(gc) });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
  return true;
}

/** Reads an argument `--name value` of this child. */
export function childArg(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

export function requiredChildArg(name: string): string {
  const value = childArg(name);
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

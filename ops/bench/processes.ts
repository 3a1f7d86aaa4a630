import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GATEWAY_NODE_FLAGS } from '../../common/services';
import { READY_PREFIX } from './launchers/launcher-lib';

/**
 * Child processes of the bench: started as `node [flags] --import tsx <script>`, so the pid is
 * the server itself (what /proc is read for). Every child is registered and killed when the
 * bench exits, fails or is interrupted; children also exit on their own when our stdin pipe
 * closes (launchers/launcher-lib.ts `exitWithParent`).
 */
export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** The JSON of the child's READY line. */
  ready: Record<string, unknown>;
  /** `process.hrtime.bigint()` at spawn. */
  spawnedAt: bigint;
  /** The last lines the child wrote to stderr (for error messages). */
  stderrTail(): string;
  stop(): Promise<void>;
}

const children = new Set<Child>();

/**
 * V8 flags for Amtsgraph's processes in the bench: the ones the gateway ships with
 * (common/services.ts GATEWAY_NODE_FLAGS), or BENCH_AMTSGRAPH_NODE_FLAGS when it is set
 * (`BENCH_AMTSGRAPH_NODE_FLAGS=""` runs them with V8's defaults; heap-size trade-offs,
 * ops/BENCHMARKS.md). The peers (Apollo, Hive) always run with V8's defaults.
 */
export function amtsgraphNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env.BENCH_AMTSGRAPH_NODE_FLAGS;
  return override === undefined ? [...GATEWAY_NODE_FLAGS] : override.split(/\s+/).filter(Boolean);
}
export const LAUNCHERS = path.join(__dirname, 'launchers');

export interface SpawnOptions {
  name: string;
  script: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  nodeFlags?: string[];
  readyTimeoutMs?: number;
}

export function spawnChild(options: SpawnOptions): Promise<Child> {
  const spawnedAt = process.hrtime.bigint();
  const proc = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', 'tsx', options.script, ...(options.args ?? [])], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    stderr.push(chunk);
    if (stderr.length > 40) stderr.shift();
  });
  const stderrTail = () => {
    const lines = stderr.join('').split('\n');
    // The first error line names the cause (e.g. which module is missing); then the last lines.
    const cause = lines.find((l) => /Error\b|error:/.test(l));
    const tail = lines.slice(-15);
    return [...(cause && !tail.includes(cause) ? [cause, '…'] : []), ...tail].join('\n').trim();
  };
  const manual = `node ${[...(options.nodeFlags ?? []), '--import', 'tsx', path.relative(path.join(__dirname, '..', '..'), options.script), ...(options.args ?? [])].join(' ')}`;
  return new Promise((resolve, reject) => {
    let buffer = '';
    let settled = false;
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    const timer = setTimeout(() => fail(new Error(`${options.name} did not report ready within ${timeoutMs / 1000} s`)), timeoutMs);
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      proc.kill('SIGKILL');
      const tail = stderrTail();
      reject(new Error(`${error.message}${tail ? `\n--- ${options.name} stderr ---\n${tail}` : ''}\n  → start it alone to see why: ${manual}`));
    };
    proc.once('error', fail);
    proc.once('exit', (code, signal) => fail(new Error(`${options.name} exited before it was ready (code ${code}, signal ${signal})`)));
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => {
      if (settled) return;
      buffer += chunk;
      const line = buffer.split('\n').find((l) => l.startsWith(READY_PREFIX));
      if (!line) return;
      settled = true;
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      const child: Child = {
        name: options.name,
        pid: proc.pid!,
        process: proc,
        ready: JSON.parse(line.slice(READY_PREFIX.length)),
        spawnedAt,
        stderrTail,
        stop: () => stopChild(child),
      };
      children.add(child);
      resolve(child);
    });
  });
}

function stopChild(child: Child): Promise<void> {
  children.delete(child);
  const proc = child.process;
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 3_000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** Synchronous last resort (process 'exit'): SIGKILL whatever is still registered. */
export function killAllChildrenSync(): void {
  for (const child of children) {
    try {
      child.process.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
}

/**
 * Kills every child on exit, Ctrl-C, SIGTERM, uncaught errors. `onInterrupt` runs first
 * (e.g. removing Redis keys), bounded to 5 s.
 */
export function installExitHandlers(onInterrupt: () => Promise<void>): void {
  process.on('exit', killAllChildrenSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the bench's child processes …\n`);
      const bounded = Promise.race([onInterrupt().catch(() => {}), new Promise((r) => setTimeout(r, 5_000))]);
      void bounded.then(stopAllChildren).finally(() => process.exit(130));
    });
  }
}

let clockTicks: number | null = null;
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond();
}

/** Peak resident set size (VmHWM) of a process in MiB. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

export function describeMachine(): string {
  const cpus = os.cpus();
  let steal = '';
  try {
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    steal = `, load average ${load}`;
  } catch {
    // not Linux
  }
  return `${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.platform()} ${os.release()}, node ${process.version}${steal}`;
}

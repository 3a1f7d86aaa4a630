import type { Logger } from '../logger';
import { createDegradationGuard } from './degradation';

function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const log = (level: string) => (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message });
  return { logger: { warn: log('warn'), info: log('info') } as unknown as Logger, lines };
}

describe('degradation guard', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 0;
  });

  it('skips operations while not connected, without calling them', async () => {
    const { logger } = recordingLogger();
    const guard = createDegradationGuard({ store: 'redis', logger, now });
    const op = jest.fn(async () => 'value');
    expect(await guard.run(false, op)).toEqual({ ok: false, reason: 'not-connected' });
    expect(op).not.toHaveBeenCalled();
    expect(await guard.run(true, op)).toEqual({ ok: true, value: 'value' });
    expect(guard.stats()).toEqual({ unavailable: 1, timeouts: 0, errors: 0, circuitOpen: false });
  });

  it('gives up on a slow operation after timeoutMs', async () => {
    const { logger } = recordingLogger();
    const guard = createDegradationGuard({ store: 'redis', logger, timeoutMs: 20 });
    const started = Date.now();
    const result = await guard.run(true, () => new Promise((resolve) => setTimeout(() => resolve('late'), 200)));
    const took = Date.now() - started;
    expect(result).toEqual({ ok: false, reason: 'timeout' });
    expect(took).toBeGreaterThanOrEqual(19);
    expect(took).toBeLessThan(200); // did not wait for the operation
    expect(guard.stats().timeouts).toBe(1);
  });

  it('does not leak a rejection that arrives after the timeout', async () => {
    const { logger } = recordingLogger();
    const guard = createDegradationGuard({ store: 'redis', logger, timeoutMs: 5 });
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const result = await guard.run(true, () => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 100)));
      expect(result).toEqual({ ok: false, reason: 'timeout' });
      await new Promise((r) => setTimeout(r, 150));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('opens the circuit after 3 consecutive failures, half-opens after openMs, closes on success', async () => {
    const { logger, lines } = recordingLogger();
    const guard = createDegradationGuard({ store: 'redis', logger, now, openMs: 1_000, warnIntervalMs: 30_000 });
    const failing = jest.fn(async () => {
      throw new Error('READONLY');
    });
    for (let i = 0; i < 3; i++) expect(await guard.run(true, failing)).toEqual({ ok: false, reason: 'error' });
    expect(guard.stats().circuitOpen).toBe(true);
    expect(guard.allows(true)).toBe(false);
    const ok = jest.fn(async () => 'value');
    expect(await guard.run(true, ok)).toEqual({ ok: false, reason: 'circuit-open' });
    expect(ok).not.toHaveBeenCalled();
    clock += 1_000;
    expect(guard.allows(true)).toBe(true);
    expect(await guard.run(true, ok)).toEqual({ ok: true, value: 'value' });
    expect(guard.stats()).toEqual({ unavailable: 4, timeouts: 0, errors: 3, circuitOpen: false });
    // One warning for the whole outage (rate-limited), one info on recovery.
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'cache store unavailable; serving uncached'],
      ['info', 'cache store available again'],
    ]);
    expect(lines[0]!.fields).toEqual({
      store: 'redis',
      reason: 'error',
      cause: 'Error: READONLY',
      operationsSinceLastWarning: 1,
      unavailableTotal: 1,
    });
  });

  it('warns at most once per warnIntervalMs, with the number of operations since the last warning', async () => {
    const { logger, lines } = recordingLogger();
    const guard = createDegradationGuard({ store: 'redis', logger, now, warnIntervalMs: 10_000 });
    for (let i = 0; i < 50; i++) await guard.run(false, async () => 1);
    clock += 10_000;
    await guard.run(false, async () => 1);
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings.map((w) => w.fields.operationsSinceLastWarning)).toEqual([1, 50]);
    expect(warnings.map((w) => w.fields.unavailableTotal)).toEqual([1, 51]);
  });

  it('validates its options', () => {
    const { logger } = recordingLogger();
    expect(() => createDegradationGuard({ store: 'redis', logger, timeoutMs: 0 })).toThrow(
      'cache store timeoutMs must be an integer ≥ 1, received 0',
    );
  });
});

import { createSingleFlight } from './single-flight';

describe('single-flight', () => {
  it('runs one task for 20 concurrent calls of one key and gives each the result', async () => {
    const flight = createSingleFlight<number>();
    let calls = 0;
    let release!: (value: number) => void;
    const task = () => {
      calls += 1;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const results = Array.from({ length: 20 }, () => flight.run('k', task));
    expect(flight.inFlight()).toBe(1);
    release(42);
    const settled = await Promise.all(results);
    expect(calls).toBe(1);
    expect(settled.map((r) => r.value)).toEqual(Array(20).fill(42));
    expect(settled.filter((r) => r.joined)).toHaveLength(19);
    expect(flight.inFlight()).toBe(0);
  });

  it('keeps different keys apart and starts afresh once a flight settled', async () => {
    const flight = createSingleFlight<string>();
    let calls = 0;
    const task = (value: string) => async () => {
      calls += 1;
      return value;
    };
    const [a, b] = await Promise.all([flight.run('a', task('A')), flight.run('b', task('B'))]);
    expect([a.value, b.value]).toEqual(['A', 'B']);
    expect((await flight.run('a', task('A2'))).value).toBe('A2');
    expect(calls).toBe(3);
  });

  it('gives a failure to every waiter and forgets it', async () => {
    const flight = createSingleFlight<string>();
    let calls = 0;
    const failing = async () => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('upstream down');
    };
    const outcomes = await Promise.allSettled([flight.run('k', failing), flight.run('k', failing), flight.run('k', failing)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(outcomes.map((o) => (o as PromiseRejectedResult).reason.message)).toEqual(Array(3).fill('upstream down'));
    expect(calls).toBe(1);
    expect(flight.inFlight()).toBe(0);
  });
});

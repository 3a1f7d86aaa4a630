/**
 * Stampede protection within one process: while a computation for a key is in flight,
 * further calls for the same key wait for it instead of starting their own. The entry is
 * removed when the computation settles (success or failure), so the map holds only what is
 * in flight right now and needs no other bound; a failure reaches every waiter, as each
 * would have met it on its own.
 */
export interface SingleFlight<T> {
  /** Runs `task` unless one for `key` is in flight; `joined` tells whether this call waited for another. */
  run(key: string, task: () => Promise<T>): Promise<{ value: T; joined: boolean }>;
  /** Keys in flight now (diagnostics and tests). */
  inFlight(): number;
}

export function createSingleFlight<T>(): SingleFlight<T> {
  const flights = new Map<string, Promise<T>>();
  return {
    async run(key, task) {
      const existing = flights.get(key);
      if (existing) return { value: await existing, joined: true };
      const flight = (async () => task())();
      flights.set(key, flight);
      try {
        return { value: await flight, joined: false };
      } finally {
        flights.delete(key);
      }
    },
    inFlight: () => flights.size,
  };
}

import { createClient } from 'redis';

/** Redis for the cached variants: is it there, and removing the bench's keys afterwards. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export async function redisAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const client = createClient({ url, socket: { connectTimeout: timeoutMs, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await Promise.race([client.connect(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs))]);
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    await client.disconnect().catch(() => {});
  }
}

/** Deletes every key starting with `prefix`; returns how many. */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const client = createClient({ url, socket: { connectTimeout: 1_500, reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  let deleted = 0;
  try {
    for await (const key of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) deleted += await client.del(key);
  } finally {
    await client.quit().catch(() => {});
  }
  return deleted;
}

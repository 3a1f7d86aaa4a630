import { ConfigError } from '../common/env';
import { configFromEnv, resolveConfig } from '../gateway/src/config';
import { createGateway } from '../gateway/src/server';

const secret = 'x'.repeat(32);
const env = { AMTSGRAPH_IDENTITY_SECRET: secret };

describe('gateway configuration is validated at start with messages that say how to fix it', () => {
  it('defaults: loopback, port 4000, the committed supergraph, development mode', () => {
    const config = resolveConfig({ identitySecret: secret });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 4000, mode: 'development', watchSupergraph: true });
    expect(config.supergraphPath.endsWith('schema/supergraph.graphql')).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names the option, the expectation and the received value', () => {
    expect(() => resolveConfig({ identitySecret: secret, port: 70000 })).toThrow(ConfigError);
    expect(() => resolveConfig({ identitySecret: secret, port: 70000 })).toThrow(/gateway option "port": Number must be less than or equal to 65535/);
    expect(() => resolveConfig({ identitySecret: secret, subgraphUrls: { kommunen: 'not a url' } })).toThrow(/"subgraphUrls.kommunen": Invalid url/);
    expect(() => resolveConfig({ identitySecret: secret, mode: 'prod' as never })).toThrow(/"mode": Invalid enum value. Expected 'development' \| 'production', received 'prod'/);
    expect(() => resolveConfig({ identitySecret: secret, colour: 'blue' } as never)).toThrow(/Unrecognized key\(s\) in object: 'colour'/);
    expect(() => resolveConfig({ identitySecret: 'short' })).toThrow(/gateway option "identitySecret": must be at least 32 characters/);
  });

  it('reads the environment in one place and rejects bad values', () => {
    expect(configFromEnv({ ...env, GATEWAY_PORT: '4400', KOMMUNEN_SUBGRAPH_URL: 'http://10.0.0.1:9/graphql' })).toMatchObject({
      port: 4400,
      subgraphUrls: expect.objectContaining({ kommunen: 'http://10.0.0.1:9/graphql', abfall: 'http://127.0.0.1:4003/graphql' }),
    });
    expect(() => configFromEnv({ ...env, GATEWAY_PORT: 'abc' })).toThrow('GATEWAY_PORT must be a TCP port between 0 and 65535, received "abc"');
    expect(() => configFromEnv({ ...env, KOMMUNEN_SUBGRAPH_URL: 'ftp://x' })).toThrow(/KOMMUNEN_SUBGRAPH_URL must be an http\(s\) URL/);
    expect(() => configFromEnv({ ...env, SUBGRAPH_TIMEOUT_MS: '5s' })).toThrow(/SUBGRAPH_TIMEOUT_MS must be a whole number/);
    expect(configFromEnv(env).cache).toMatchObject({ enabled: false });
    expect(configFromEnv({ ...env, ENTITY_CACHE: 'on', ENTITY_CACHE_TTL_SECONDS: '120', RESPONSE_CACHE_TTL_SECONDS: '30', REDIS_URL: 'redis://127.0.0.1:6390' }).cache).toMatchObject({
      enabled: true,
      defaultTtlSeconds: 120,
      redisUrl: 'redis://127.0.0.1:6390',
      responses: { enabled: true, ttlSeconds: 30 },
    });
    expect(configFromEnv({ ...env, ENTITY_CACHE: 'on', RESPONSE_CACHE: 'off' }).cache.responses).toMatchObject({ enabled: false });
    expect(() => configFromEnv({ ...env, ENTITY_CACHE: 'yes' })).toThrow('ENTITY_CACHE must be "on" or "off", received "yes"');
    expect(configFromEnv({ ...env, GATEWAY_EXECUTOR: 'apollo', SUBGRAPH_DEDUPE: 'false' })).toMatchObject({ executor: 'apollo', dedupeInFlight: false });
    expect(() => configFromEnv({ ...env, GATEWAY_EXECUTOR: 'fast' })).toThrow('GATEWAY_EXECUTOR must be "amtsgraph" or "apollo", received "fast"');
  });

  it('a missing supergraph file fails start with what to do next', async () => {
    await expect(createGateway({ identitySecret: secret, supergraphPath: '/nonexistent/supergraph.graphql', logLevel: 'silent' })).rejects.toThrow(
      /Cannot read the supergraph at \/nonexistent\/supergraph.graphql: .*Run `npm run compose`/,
    );
  });
});

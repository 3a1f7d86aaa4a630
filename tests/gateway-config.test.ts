import { ConfigError } from '../common/env';
import { configFromEnv, resolveConfig } from '../gateway/src/config';
import { createGateway } from '../gateway/src/server';

describe('gateway configuration is validated at start with messages that say how to fix it', () => {
  it('defaults: loopback, port 4000, the committed supergraph, development mode', () => {
    const config = resolveConfig();
    expect(config).toMatchObject({ host: '127.0.0.1', port: 4000, mode: 'development', watchSupergraph: true });
    expect(config.supergraphPath.endsWith('schema/supergraph.graphql')).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names the option, the expectation and the received value', () => {
    expect(() => resolveConfig({ port: 70000 })).toThrow(ConfigError);
    expect(() => resolveConfig({ port: 70000 })).toThrow(/gateway option "port": Number must be less than or equal to 65535/);
    expect(() => resolveConfig({ subgraphUrls: { kommunen: 'not a url' } })).toThrow(/"subgraphUrls.kommunen": Invalid url/);
    expect(() => resolveConfig({ mode: 'prod' as never })).toThrow(/"mode": Invalid enum value. Expected 'development' \| 'production', received 'prod'/);
    expect(() => resolveConfig({ colour: 'blue' } as never)).toThrow(/Unrecognized key\(s\) in object: 'colour'/);
  });

  it('reads the environment in one place and rejects bad values', () => {
    expect(configFromEnv({ GATEWAY_PORT: '4400', KOMMUNEN_SUBGRAPH_URL: 'http://10.0.0.1:9/graphql' })).toMatchObject({
      port: 4400,
      subgraphUrls: expect.objectContaining({ kommunen: 'http://10.0.0.1:9/graphql', abfall: 'http://127.0.0.1:4003/graphql' }),
    });
    expect(() => configFromEnv({ GATEWAY_PORT: 'abc' })).toThrow('GATEWAY_PORT must be a TCP port between 0 and 65535, received "abc"');
    expect(() => configFromEnv({ KOMMUNEN_SUBGRAPH_URL: 'ftp://x' })).toThrow(/KOMMUNEN_SUBGRAPH_URL must be an http\(s\) URL/);
    expect(() => configFromEnv({ SUBGRAPH_TIMEOUT_MS: '5s' })).toThrow(/SUBGRAPH_TIMEOUT_MS must be a whole number/);
  });

  it('a missing supergraph file fails start with what to do next', async () => {
    await expect(createGateway({ supergraphPath: '/nonexistent/supergraph.graphql', logLevel: 'silent' })).rejects.toThrow(
      /Cannot read the supergraph at \/nonexistent\/supergraph.graphql: .*Run `npm run compose`/,
    );
  });
});

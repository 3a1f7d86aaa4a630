import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { GATEWAY_NODE_FLAGS, GATEWAY_PORT, OBSERVABILITY, STAND_INS, STAND_IN_NAMES, SUBGRAPHS, SUBGRAPH_NAMES, envName, type ObservabilityName, standInPortVariable } from '../common/services';
const REPO_ROOT = path.join(__dirname, '..');

/**
 * Docker cannot run here, so docker-compose.yml is kept honest by checking it against the
 * services the code really starts (common/services.ts is what `npm start` uses).
 */
interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  volumes?: string[];
  secrets?: string[];
}

const compose = parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  secrets?: Record<string, unknown>;
};
const services = compose.services;
const OBSERVABILITY_NAMES = Object.keys(OBSERVABILITY) as ObservabilityName[];

const hostPort = (service: ComposeService) => service.ports?.map((p) => p.split(':').slice(-2).join(':'));

describe('docker-compose.yml matches the services the code starts', () => {
  it('names exactly redis, one container per stand-in, one per subgraph, the gateway and the observability services', () => {
    const expected = [
      'redis',
      ...STAND_IN_NAMES.map((n) => `stand-in-${n}`),
      ...SUBGRAPH_NAMES.map((n) => `subgraph-${n}`),
      'gateway',
      ...OBSERVABILITY_NAMES,
    ].sort();
    expect(Object.keys(services).sort()).toEqual(expected);
    expect(Object.keys(services)).toHaveLength(1 + STAND_IN_NAMES.length + SUBGRAPH_NAMES.length + 1 + 2);
  });

  it('only prometheus and grafana are in a profile (observability): plain `docker compose up` starts everything else', () => {
    const profiled = Object.entries(services).filter(([, s]) => s.profiles).map(([name, s]) => [name, s.profiles]);
    expect(profiled).toEqual(OBSERVABILITY_NAMES.map((name) => [name, [OBSERVABILITY[name].profile]]));
  });

  it('prometheus scrapes with the metrics token secret; grafana gets provisioning and dashboards from ops/', () => {
    const prometheus = services.prometheus!;
    expect(hostPort(prometheus)).toEqual([`${OBSERVABILITY.prometheus.port}:${OBSERVABILITY.prometheus.port}`]);
    expect(prometheus.volumes).toEqual(['./ops/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro']);
    expect(prometheus.secrets).toEqual(['metrics_token']);
    expect(prometheus.depends_on).toEqual({ gateway: { condition: 'service_healthy' } });
    expect(compose.secrets).toEqual({ metrics_token: { environment: 'AMTSGRAPH_METRICS_TOKEN' } });
    expect(services.gateway!.environment?.AMTSGRAPH_METRICS_TOKEN).toBe('${AMTSGRAPH_METRICS_TOKEN:-}');
    const grafana = services.grafana!;
    expect(hostPort(grafana)).toEqual([`${OBSERVABILITY.grafana.port}:${OBSERVABILITY.grafana.port}`]);
    expect(grafana.volumes).toEqual(['./ops/grafana/provisioning:/etc/grafana/provisioning:ro', './ops/grafana/dashboards:/var/lib/grafana/dashboards:ro']);
    expect(grafana.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } });
    for (const volume of [...prometheus.volumes!, ...grafana.volumes!]) {
      expect([volume, existsSync(path.join(REPO_ROOT, volume.split(':')[0]!))]).toEqual([volume, true]);
    }
  });

  it.each(STAND_IN_NAMES)('stand-in %s: entry point, port and healthcheck', (name) => {
    const service = services[`stand-in-${name}`]!;
    const port = STAND_INS[name].port;
    expect(service.command).toEqual(['npx', 'tsx', 'stand-ins/index.ts', name]);
    expect(existsSync(path.join(REPO_ROOT, 'stand-ins', name, 'server.ts'))).toBe(true);
    expect(service.environment?.[standInPortVariable(name)]).toBe(String(port));
    expect(hostPort(service)).toEqual([`${port}:${port}`]);
    expect(service.healthcheck?.test.join(' ')).toContain(`:${port}/__admin/health`);
  });

  it.each(SUBGRAPH_NAMES)('subgraph %s: entry point, port, upstream URLs, healthcheck, start order', (name) => {
    const service = services[`subgraph-${name}`]!;
    const { port, upstreams } = SUBGRAPHS[name];
    expect(service.command).toEqual(['npx', 'tsx', `subgraphs/${name}/index.ts`]);
    expect(existsSync(path.join(REPO_ROOT, 'subgraphs', name, 'index.ts'))).toBe(true);
    expect(service.environment?.[envName(name, 'PORT')]).toBe(String(port));
    for (const upstream of upstreams) {
      expect(service.environment?.[envName(upstream, 'URL')]).toBe(`http://stand-in-${upstream}:${STAND_INS[upstream].port}`);
    }
    expect(hostPort(service)).toEqual([`${port}:${port}`]);
    expect(service.healthcheck?.test.join(' ')).toContain(`:${port}/healthz`);
    expect(service.depends_on).toEqual(
      Object.fromEntries(upstreams.map((upstream) => [`stand-in-${upstream}`, { condition: 'service_healthy' }])),
    );
  });

  it('gateway: port, every subgraph URL, readiness healthcheck, waits for all subgraphs', () => {
    const gateway = services.gateway!;
    expect(gateway.command).toEqual(['npx', 'tsx', 'gateway/src/index.ts']);
    expect(gateway.environment?.NODE_OPTIONS).toBe('--max-semi-space-size=64');
    expect(gateway.environment?.NODE_OPTIONS).toBe(GATEWAY_NODE_FLAGS.join(' '));
    expect(gateway.environment?.GATEWAY_PORT).toBe(String(GATEWAY_PORT));
    for (const name of SUBGRAPH_NAMES) {
      expect(gateway.environment?.[envName(`${name}_subgraph`, 'URL')]).toBe(
        `http://subgraph-${name}:${SUBGRAPHS[name].port}/graphql`,
      );
      expect(gateway.depends_on?.[`subgraph-${name}`]).toEqual({ condition: 'service_healthy' });
    }
    expect(gateway.healthcheck?.test.join(' ')).toContain(`:${GATEWAY_PORT}/readyz`);
  });

  it('every Node service gets the identity secret, and compose refuses to start without one', () => {
    for (const name of [...STAND_IN_NAMES.map((n) => `stand-in-${n}`), ...SUBGRAPH_NAMES.map((n) => `subgraph-${n}`), 'gateway']) {
      expect([name, services[name]!.environment?.AMTSGRAPH_IDENTITY_SECRET]).toEqual([name, expect.stringMatching(/^\$\{AMTSGRAPH_IDENTITY_SECRET:\?/)]);
    }
  });

  it('uses healthchecks, never sleeps, and binds published ports to loopback', () => {
    const text = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
    expect(text).not.toMatch(/\bsleep\b/);
    for (const [name, service] of Object.entries(services)) {
      expect([name, Boolean(service.healthcheck)]).toEqual([name, true]);
      for (const port of service.ports ?? []) expect(port.startsWith('127.0.0.1:')).toBe(true);
    }
  });
});

describe('the gateway\'s V8 flags are the same wherever it starts', () => {
  // `exec`: npm forwards SIGTERM/SIGINT to the shell it runs the script in; without exec the
  // shell died and left the stack running.
  it('npm start runs node with GATEWAY_NODE_FLAGS (docker-compose.yml: NODE_OPTIONS, checked above)', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`exec node ${GATEWAY_NODE_FLAGS.join(' ')} --import tsx scripts/start.ts`);
  });
});

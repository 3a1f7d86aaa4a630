import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ERROR_CODES } from '../common/errors';
import { GATEWAY_PORT, OBSERVABILITY } from '../common/services';
import { createGatewayMetrics } from '../gateway/src/ops/metrics';
import { REPO_ROOT } from './testkit';

/**
 * Prometheus cannot run here, nor Grafana: their files in ops/ are kept honest by checking
 * them against the code. The scrape config points at the gateway's /metrics with the token
 * file docker-compose.yml mounts; every metric a dashboard panel queries exists in the
 * gateway's registry; the panels use the provisioned data source.
 */
const OPS = path.join(REPO_ROOT, 'ops');
const compose = parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { secrets?: string[]; volumes?: string[] }>;
};

describe('ops/prometheus/prometheus.yml', () => {
  const config = parse(readFileSync(path.join(OPS, 'prometheus', 'prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; metrics_path: string; authorization: { type: string; credentials_file: string }; static_configs: { targets: string[] }[] }[];
  };

  it('scrapes the gateway container\'s /metrics with the metrics token secret', () => {
    expect(config.scrape_configs.map((c) => c.job_name)).toEqual(['amtsgraph-gateway']);
    const [job] = config.scrape_configs;
    expect(job!.metrics_path).toBe('/metrics');
    expect(job!.static_configs.flatMap((s) => s.targets)).toEqual([`gateway:${GATEWAY_PORT}`]);
    // docker compose mounts each service secret at /run/secrets/<name>.
    expect(job!.authorization).toEqual({ type: 'Bearer', credentials_file: `/run/secrets/${compose.services.prometheus!.secrets![0]}` });
  });
});

describe('ops/grafana', () => {
  const provisioning = path.join(OPS, 'grafana', 'provisioning');
  const datasources = parse(readFileSync(path.join(provisioning, 'datasources', 'prometheus.yml'), 'utf8')) as {
    datasources: { uid: string; type: string; url: string }[];
  };
  const providers = parse(readFileSync(path.join(provisioning, 'dashboards', 'amtsgraph.yml'), 'utf8')) as {
    providers: { options: { path: string } }[];
  };
  const dashboardsDir = path.join(OPS, 'grafana', 'dashboards');
  const dashboards = readdirSync(dashboardsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ file: f, json: JSON.parse(readFileSync(path.join(dashboardsDir, f), 'utf8')) }));

  it('provisions the Prometheus data source of the compose file and the dashboards folder Grafana mounts', () => {
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ uid: 'amtsgraph-prometheus', type: 'prometheus', url: `http://prometheus:${OBSERVABILITY.prometheus.port}` }),
    ]);
    const mount = compose.services.grafana!.volumes!.find((v) => v.startsWith('./ops/grafana/dashboards:'))!;
    expect(providers.providers.map((p) => p.options.path)).toEqual([mount.split(':')[1]]);
    expect(dashboards.map((d) => d.file)).toEqual(['amtsgraph-gateway.json']);
  });

  it('every panel queries the provisioned data source and only metrics the gateway exports', async () => {
    const metrics = createGatewayMetrics({ maxSignatureLabels: 10, knownCodes: Object.keys(ERROR_CODES), processMetrics: true });
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const panels = dashboards.flatMap((d) => d.json.panels as { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[]);
    const queried = new Set<string>();
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect([panel.title, panel.datasource?.uid]).toEqual([panel.title, 'amtsgraph-prometheus']);
      expect([panel.title, (panel.targets ?? []).length > 0]).toEqual([panel.title, true]);
      for (const target of panel.targets!) {
        for (const [name] of target.expr.matchAll(/\b(?:amtsgraph|process|nodejs)_[a-z0-9_]+\b/g)) queried.add(name.replace(/_(bucket|sum|count)$/, ''));
      }
    }
    const missing = [...queried].filter((name) => !exported.has(name));
    expect(missing).toEqual([]);
    // …and the dashboard covers every amtsgraph metric.
    expect([...exported].filter((name) => name.startsWith('amtsgraph_') && !queried.has(name))).toEqual([]);
  });
});

/**
 * The services Amtsgraph runs, with their default ports: the single source of truth for the
 * one-command start (scripts/start.ts), the composed supergraph's subgraph URLs and
 * docker-compose.yml (a test checks it against this file).
 *
 * Ports stay away from the services these machines already run (5432, 3306, 6379, 5672,
 * 1883, 4222).
 */
export const DEFAULT_HOST = '127.0.0.1';
export const GATEWAY_PORT = 4000;

/**
 * V8 flags the gateway's process runs with: `npm start` (package.json), the gateway container
 * (docker-compose.yml, as NODE_OPTIONS) and the benchmark's Amtsgraph variants; tests check all
 * three. A young generation of 2 × 64 MB instead of V8's 2 × 16 MB: with 50 requests in flight,
 * each allocating ~450 kB for ~250 ms, most of it now dies before a scavenge instead of being
 * copied and promoted. Measured with `npm run bench` (ops/BENCHMARKS.md, 2026-12-04 (b)):
 * gateway CPU per request −28 %, throughput +37 %, peak RSS unchanged (128 MB: RSS +20 %).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** Stand-in upstream REST services (stand-ins/<name>/), one per real system. */
export const STAND_INS = {
  register: { port: 4101, title: 'Municipality register (Destatis GV100AD data)' },
  leika: { port: 4102, title: 'Service catalogue (LeiKa/OZG), FIT-Connect-style routing, tax offices' },
  abfallnavi: { port: 4103, title: 'abfallnavi-compatible waste calendar' },
  oparl: { port: 4104, title: 'OParl 1.1 council information system' },
  nina: { port: 4105, title: 'NINA-compatible warnings dashboard' },
  'melderegister-hb': { port: 4106, title: 'Resident registry, vendor flavour HB (Bremen; synthetic residents)' },
  'melderegister-nrw': { port: 4107, title: 'Resident registry, vendor flavour NRW (synthetic residents)' },
  gewerbe: { port: 4108, title: 'Trade register after XGewerbeanzeige (synthetic businesses)' },
} as const;
export type StandInName = keyof typeof STAND_INS;

/** Subgraphs (subgraphs/<name>/) and the stand-ins (upstream REST systems) each one wraps. */
export const SUBGRAPHS = {
  kommunen: { port: 4001, upstreams: ['register'] },
  leistungen: { port: 4002, upstreams: ['leika'] },
  abfall: { port: 4003, upstreams: ['abfallnavi'] },
  ratsinfo: { port: 4004, upstreams: ['oparl'] },
  warnungen: { port: 4005, upstreams: ['nina'] },
  // One subgraph over two resident-registry vendors: routes by AGS (04… HB, 05… NRW).
  melderegister: { port: 4006, upstreams: ['melderegister-hb', 'melderegister-nrw'] },
  gewerbe: { port: 4007, upstreams: ['gewerbe'] },
} as const satisfies Record<string, { port: number; upstreams: readonly StandInName[] }>;
export type SubgraphName = keyof typeof SUBGRAPHS;

/**
 * Observability services in docker-compose.yml, profile `observability` (ops/README.md):
 * not started by `npm start`; Prometheus scrapes the gateway's /metrics.
 */
export const OBSERVABILITY = {
  prometheus: { port: 9090, profile: 'observability' },
  grafana: { port: 3000, profile: 'observability' },
} as const;
export type ObservabilityName = keyof typeof OBSERVABILITY;

export const SUBGRAPH_NAMES = Object.keys(SUBGRAPHS) as SubgraphName[];
export const STAND_IN_NAMES = Object.keys(STAND_INS) as StandInName[];

/** Environment variable naming: `<NAME>_PORT` for a port, `<NAME>_URL` for a base URL. */
export function envName(name: string, suffix: 'PORT' | 'URL'): string {
  return `${name.toUpperCase().replace(/-/g, '_')}_${suffix}`;
}

export function defaultSubgraphUrl(name: SubgraphName, host = DEFAULT_HOST): string {
  return `http://${host}:${SUBGRAPHS[name].port}/graphql`;
}

export function defaultStandInUrl(name: StandInName, host = DEFAULT_HOST): string {
  return `http://${host}:${STAND_INS[name].port}`;
}

/**
 * Port variable of a stand-in: `<NAME>_PORT`, or `<NAME>_STAND_IN_PORT` where a subgraph has
 * the same name (the gewerbe stand-in and the gewerbe subgraph), so one variable never moves
 * two services.
 */
export function standInPortVariable(name: StandInName): string {
  return name in SUBGRAPHS ? envName(`${name}_stand_in`, 'PORT') : envName(name, 'PORT');
}

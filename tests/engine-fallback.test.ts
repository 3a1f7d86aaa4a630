import { parse } from 'graphql';
import pino from 'pino';
import type { ExecutionEngine } from '../gateway/src/engine/types';
import { createExecutorEngine, startExecutorGraph, type ExecutorGraph } from './fixtures/executor/graph';

/**
 * The amtsgraph executor runs what it supports itself and hands the rest (here: a plan with
 * @interfaceObject input rewrites) to an @apollo/gateway that the engine builds on first need,
 * once per supergraph. Start-up no longer loads @apollo/gateway (≈ 0.45 s).
 */
let graph: ExecutorGraph;
let engine: ExecutionEngine;
const lines: { msg: string }[] = [];
const FALLBACK_LOADED = 'Apollo gateway loaded for operations the plan executor does not run';

beforeAll(async () => {
  graph = await startExecutorGraph();
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
  engine = createExecutorEngine(graph, 'amtsgraph', logger);
  await engine.start();
});
afterAll(async () => {
  await engine.stop();
  await graph.stop();
});
beforeEach(() => graph.reset());

const run = async (query: string) =>
  JSON.parse(JSON.stringify(await engine.execute({ document: parse(query), source: query, operationName: null, variables: null, context: { correlationId: 'engine-fallback', forwardHeaders: {} } })));
const fallbackLoads = () => lines.filter((l) => l.msg === FALLBACK_LOADED).length;

it('a supported operation runs without @apollo/gateway', async () => {
  expect(engine.kind).toBe('amtsgraph-plan-executor');
  expect(await run('{ topProducts(first: 2) { upc name } }')).toEqual({ data: { topProducts: [{ upc: 'p1', name: 'Stadtplan' }, { upc: 'p2', name: 'Parkbank' }] } });
  expect(fallbackLoads()).toBe(0);
});

it('an operation it does not run (input rewrites of @interfaceObject) is answered by the fallback, built once', async () => {
  const query = '{ media { __typename id title reviewCount ... on Book { pages } ... on Movie { minutes } } }';
  const expected = {
    data: {
      media: [
        { __typename: 'Book', id: 'm1', title: 'Chronik', reviewCount: 2, pages: 200 },
        { __typename: 'Movie', id: 'm2', title: 'Stadtfilm', reviewCount: 0, minutes: 90 },
      ],
    },
  };
  expect(await run(query)).toEqual(expected);
  expect(fallbackLoads()).toBe(1);
  expect(graph.counts()).toEqual({ products: 1, reviews: 1 });
  expect(await run(query)).toEqual(expected);
  expect(fallbackLoads()).toBe(1);
});

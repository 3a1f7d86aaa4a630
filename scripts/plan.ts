import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getOperationAST, GraphQLError, parse, validate, type DocumentNode } from 'graphql';
import { silentLogger } from '../common/logger';
import { createApolloEngine } from '../gateway/src/engine/apollo';
import { DEFAULT_SUPERGRAPH, parseCommand, runMain, type CliIo } from './cli';

/**
 * `npm run -s plan -- path/to/operation.graphql [--operation-name Name] [--format text|json|both]
 * [--supergraph schema/supergraph.graphql]` prints the query plan of an operation against the
 * committed supergraph, without executing anything and without any network access: first the
 * readable plan (the engine's own format), then the engine-neutral plan as JSON (the form
 * /ops and the x-amtsgraph-query-plan header use). Exit codes: 0 ok, 1 the operation does not
 * fit the schema, 2 bad arguments or unreadable files.
 */
export const USAGE = `Usage: npm run -s plan -- <operation.graphql> [--operation-name <name>] [--format text|json|both] [--supergraph <file>]

  <operation.graphql>  a file with one or more GraphQL operations (and their fragments)
  --operation-name     which operation to plan when the file has several
  --format             text (readable plan), json (engine-neutral plan) or both (default)
  --supergraph         the supergraph to plan against (default schema/supergraph.graphql)
`;

export async function planCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand('plan', USAGE, argv, { 'operation-name': { type: 'string' }, format: { type: 'string' }, supergraph: { type: 'string' } }, io, true);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals, fail } = parsed;
  if (positionals.length !== 1) return fail(`expected exactly one operation file, received ${positionals.length}`);
  const format = (values.format as string | undefined) ?? 'both';
  if (!['text', 'json', 'both'].includes(format)) return fail(`--format must be text, json or both, received ${JSON.stringify(format)}`);
  const file = positionals[0]!;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    return fail(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let document: DocumentNode;
  try {
    document = parse(source);
  } catch (error) {
    io.err(`plan: ${file} is not valid GraphQL: ${(error as GraphQLError).message}\n`);
    return 1;
  }

  const supergraphPath = path.resolve((values.supergraph as string | undefined) ?? DEFAULT_SUPERGRAPH);
  const engine = createApolloEngine({
    supergraphPath,
    watchSupergraph: false,
    watchIntervalMs: 1_000,
    subgraphUrls: {},
    subgraphTimeoutMs: 1_000,
    logger: silentLogger,
  });
  try {
    let schema;
    try {
      schema = await engine.start();
    } catch (error) {
      return fail(`cannot load the supergraph ${supergraphPath}: ${(error as Error).message}`);
    }
    const errors = validate(schema, document);
    if (errors.length) {
      io.err(`plan: the operation does not fit the schema:\n${errors.map((e) => `- ${e.message}`).join('\n')}\n`);
      return 1;
    }
    const operationName = (values['operation-name'] as string | undefined) ?? null;
    let plan;
    try {
      plan = engine.plan(document, operationName);
    } catch (error) {
      io.err(`plan: ${(error as Error).message}\n`);
      return 1;
    }
    if (format !== 'json') io.out(`${plan.text}\n`);
    if (format === 'both') io.out('\n');
    const planned = getOperationAST(document, operationName ?? undefined)?.name?.value ?? null;
    if (format !== 'text') io.out(`${JSON.stringify({ operationName: planned, fetchCount: plan.fetchCount, root: plan.root }, null, 2)}\n`);
    return 0;
  } finally {
    await engine.stop();
  }
}

if (require.main === module) runMain('plan', planCommand);

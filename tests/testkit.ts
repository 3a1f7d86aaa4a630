import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { StandInName } from '../common/services';
import { startStack, type Stack, type StackOptions } from '../scripts/stack';

/** Shared fixtures for integration tests: a whole stack on ephemeral loopback ports. */
export async function startTestStack(options: StackOptions = {}): Promise<Stack> {
  return startStack({ ...options, gateway: { watchSupergraph: false, logLevel: 'silent', ...options.gateway } });
}

export interface GraphQLResponseBody {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export async function gql(
  stack: Stack,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: GraphQLResponseBody; headers: Headers }> {
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponseBody, headers: response.headers };
}

/** Upstream request counts of every stand-in since the last reset. */
export function upstreamCounts(stack: Stack): Record<StandInName, number> {
  const counts = {} as Record<StandInName, number>;
  for (const [name, entry] of Object.entries(stack.standIns)) counts[name as StandInName] = entry!.standIn.stats().total;
  return counts;
}

export function resetUpstreamCounts(stack: Stack): void {
  for (const entry of Object.values(stack.standIns)) entry!.standIn.resetStats();
}

/** Rows of a CSV under stand-ins/data/ (to compare served facts with the data file). */
export function dataRows(relativePath: string): Record<string, string>[] {
  return parse(readFileSync(path.join(__dirname, '..', 'stand-ins', 'data', relativePath), 'utf8'), {
    columns: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
}

export const REPO_ROOT = path.join(__dirname, '..');

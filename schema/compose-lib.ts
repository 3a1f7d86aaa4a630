import { composeServices } from '@apollo/composition';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { defaultSubgraphUrl, SUBGRAPH_NAMES, type SubgraphName } from '../common/services';

export const SUPERGRAPH_PATH = path.join(__dirname, 'supergraph.graphql');
export const SUBGRAPHS_DIR = path.join(__dirname, '..', 'subgraphs');

export function subgraphSdlPath(name: SubgraphName): string {
  return path.join(SUBGRAPHS_DIR, name, 'schema.graphql');
}

export type ComposeResult = { ok: true; supergraphSdl: string } | { ok: false; errors: string[] };

/**
 * Composes the committed subgraph SDLs (subgraphs/<name>/schema.graphql) with
 * `@apollo/composition`. Subgraph URLs are the defaults from common/services.ts; the gateway
 * overrides them from configuration at run time.
 */
export function composeSupergraph(names: readonly SubgraphName[] = SUBGRAPH_NAMES): ComposeResult {
  return composeSdls(
    names.map((name) => ({ name, url: defaultSubgraphUrl(name), sdl: readFileSync(subgraphSdlPath(name), 'utf8') })),
  );
}

/** Composes subgraph SDL texts; a syntax error in one is reported like a composition error. */
export function composeSdls(subgraphs: readonly { name: string; url: string; sdl: string }[]): ComposeResult {
  const services = [];
  for (const { name, url, sdl } of subgraphs) {
    try {
      services.push({ name, url, typeDefs: parse(sdl) });
    } catch (error) {
      return { ok: false, errors: [`INVALID_GRAPHQL: subgraph "${name}": ${(error as Error).message}`] };
    }
  }
  const result = composeServices(services);
  if (result.errors) {
    return { ok: false, errors: result.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`) };
  }
  return { ok: true, supergraphSdl: result.supergraphSdl };
}

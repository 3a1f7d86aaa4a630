import { Kind, parse, print, visit } from 'graphql';

/**
 * `@apollo/gateway` refuses a supergraph that links a feature `for: SECURITY` it does not
 * implement, and it implements none: `@authenticated`, `@requiresScopes` and `@policy`
 * (Federation 2.5+/2.6) are enforced by the Apollo Router only. In Amtsgraph the gateway's
 * own authorization plugin enforces them before planning (plugins/use-authorization.ts, which
 * reads them from the unmodified SDL via `ExecutionEngine.supergraphSdl()`), so the engine
 * hands Apollo the same supergraph with the purpose of exactly these three links removed:
 * the directives stay (planning ignores them) and the API schema drops them as before.
 * Any other unsupported SECURITY or EXECUTION feature is still refused.
 */
const ENFORCED_BY_GATEWAY = /^https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes|policy)\/v\d+\.\d+$/;

/** The last conversion (the same supergraph is converted at load and for every offline plan). */
let last: { input: string; output: string } | null = null;

export function withoutGatewayEnforcedPurposes(supergraphSdl: string): string {
  if (!/for:\s*SECURITY/.test(supergraphSdl)) return supergraphSdl;
  if (last?.input === supergraphSdl) return last.output;
  const output = convert(supergraphSdl);
  last = { input: supergraphSdl, output };
  return output;
}

function convert(supergraphSdl: string): string {
  const document = parse(supergraphSdl);
  let changed = false;
  const result = visit(document, {
    Directive(node) {
      if (node.name.value !== 'link') return undefined;
      const url = node.arguments?.find((a) => a.name.value === 'url');
      if (!url || url.value.kind !== Kind.STRING || !ENFORCED_BY_GATEWAY.test(url.value.value)) return undefined;
      const args = node.arguments?.filter((a) => a.name.value !== 'for');
      if (args?.length === node.arguments?.length) return undefined;
      changed = true;
      return { ...node, arguments: args };
    },
  });
  return changed ? print(result) : supergraphSdl;
}

import type { Plugin } from 'graphql-yoga';
import { ANONYMOUS, IDENTITY_HEADER, signIdentity } from '../../../common/identity';
import type { GatewayContext } from '../context';

/**
 * Signs the verified identity of the caller (`context.identity`, set by authentication)
 * into the header every subgraph fetch of this request carries. Signed once per request.
 * Subgraphs refuse requests without a valid signature (subgraphs/lib/create-subgraph-server.ts).
 */
export function useIdentityForwarding(options: { secret: Uint8Array }): Plugin<GatewayContext> {
  return {
    async onContextBuilding({ context, extendContext }) {
      const identity = context.identity ?? ANONYMOUS;
      const token = await signIdentity(identity, options.secret, context.correlationId);
      extendContext({ identity, forwardHeaders: { ...context.forwardHeaders, [IDENTITY_HEADER]: token } } as Partial<GatewayContext>);
    },
  };
}

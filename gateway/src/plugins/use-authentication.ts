import type { Plugin } from 'graphql-yoga';
import { ANONYMOUS, type Identity } from '../../../common/identity';
import type { Logger } from '../../../common/logger';
import { createAuthenticator, type Authenticator } from '../auth/authenticate';
import type { AuthenticationConfig } from '../auth/config';
import { resolveTrust } from '../auth/trust';
import type { GatewayContext } from '../context';

export interface AuthenticationOptions {
  config: Readonly<AuthenticationConfig>;
  mode: 'development' | 'production';
  logger: Logger;
  /** Replaces the authenticator built from `config` (unit tests). */
  authenticate?: Authenticator;
  /** Where the verified identity is kept per request; pass one to share it (the rate limit reads it in onRequest). */
  identities?: WeakMap<Request, Identity>;
  /**
   * Called for a request whose token fails verification, before the 401 (the rate limit's
   * `chargeInvalidToken`: it counts the request against the client IP); a returned response
   * (429 RATE_LIMITED) is sent instead of the 401.
   */
  onInvalidToken?: (input: { request: Request; url: URL; serverContext: unknown; fetchAPI: { Response: typeof Response } }) => Promise<Response | undefined>;
}

/**
 * Caller authentication (gateway/src/auth/): verifies the bearer token once per request,
 * before anything is parsed or executed, and puts the caller's `Identity` on
 * `context.identity` (ANONYMOUS without a token). A refused request ends here with 401
 * UNAUTHENTICATED + `WWW-Authenticate` (invalid token or header), 400 BAD_USER_INPUT
 * (purpose not allowed) or 503 (key set unavailable): no parse, no subgraph fetch. An invalid
 * token is first shown to `onInvalidToken` (the rate limit), whose 429 replaces the 401.
 * Must come before useIdentityForwarding, which signs `context.identity` for the subgraphs.
 * Neither the token nor the subject is ever logged; refusals are logged with a reason only.
 */
export function useAuthentication(options: AuthenticationOptions): Plugin<GatewayContext> {
  const authenticate =
    options.authenticate ??
    createAuthenticator({
      trust: resolveTrust(options.config, options.mode),
      algorithms: options.config.algorithms,
      clockSkewSeconds: options.config.clockSkewSeconds,
      allowedPurposes: options.config.allowedPurposes,
    });
  const identities = options.identities ?? new WeakMap<Request, Identity>();
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      const outcome = await authenticate({
        authorization: request.headers.get('authorization'),
        purpose: request.headers.get('x-purpose'),
      });
      if (outcome.ok) {
        identities.set(request, outcome.identity);
        return;
      }
      if (outcome.status === 401 && options.onInvalidToken) {
        const refusal = await options.onInvalidToken({ request, url, serverContext, fetchAPI });
        if (refusal) {
          options.logger.debug({ reason: outcome.reason, status: refusal.status }, 'request with an invalid token refused by the rate limit');
          endResponse(refusal);
          return;
        }
      }
      if (outcome.status === 503) options.logger.warn({ reason: outcome.reason, detail: outcome.detail }, 'authentication unavailable: the key set could not be fetched');
      else options.logger.debug({ reason: outcome.reason, status: outcome.status }, 'request refused by authentication');
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [{ message: outcome.message, extensions: { code: outcome.code } }] }), {
          status: outcome.status,
          headers: { 'content-type': 'application/json; charset=utf-8', ...outcome.headers },
        }),
      );
    },
    onContextBuilding({ context, extendContext }) {
      extendContext({ identity: identities.get(context.request) ?? ANONYMOUS } as Partial<GatewayContext>);
    },
  };
}

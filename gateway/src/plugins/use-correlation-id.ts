import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context';

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** W3C trace context: version-traceid-parentid-flags; anything else is dropped, not forwarded. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const MAX_TRACESTATE = 512;
const ids = new WeakMap<Request, string>();

/**
 * Every request gets a correlation id: the caller's `x-request-id` when it is well-formed,
 * else a fresh UUID. It is echoed in the `x-request-id` response header, put on the context
 * (`correlationId`) and forwarded to subgraphs; the W3C `traceparent`/`tracestate` headers
 * are forwarded when they are well-formed (W3C), dropped otherwise.
 */
export function useCorrelationId(): Plugin<GatewayContext> {
  const idFor = (request: Request) => {
    let id = ids.get(request);
    if (!id) {
      const given = request.headers.get('x-request-id');
      id = given && VALID_ID.test(given) ? given : randomUUID();
      ids.set(request, id);
    }
    return id;
  };
  return {
    onContextBuilding({ context, extendContext }) {
      const request = (context as { request: Request }).request;
      const correlationId = idFor(request);
      const forwardHeaders: Record<string, string> = { 'x-request-id': correlationId };
      const traceparent = request.headers.get('traceparent');
      if (traceparent && TRACEPARENT.test(traceparent)) {
        forwardHeaders.traceparent = traceparent;
        const tracestate = request.headers.get('tracestate');
        if (tracestate && tracestate.length <= MAX_TRACESTATE) forwardHeaders.tracestate = tracestate;
      }
      extendContext({ correlationId, forwardHeaders });
    },
    onResponse({ request, response }) {
      response.headers.set('x-request-id', idFor(request));
    },
  };
}

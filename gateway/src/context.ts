import type { YogaInitialContext } from 'graphql-yoga';
import type { Identity } from '../../common/identity';
import type { EngineContext } from './engine/types';

/** The per-request context every gateway plugin sees. */
export interface GatewayContext extends YogaInitialContext, EngineContext {
  /** The verified caller (set by authentication; ANONYMOUS until then). */
  identity: Identity;
  /**
   * Aborted when the request's deadline passes (plugins/use-request-deadline.ts); the
   * subgraph fetches of this request are cancelled with it. Absent: no deadline.
   */
  signal?: AbortSignal;
}

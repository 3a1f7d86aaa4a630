import type { YogaInitialContext } from 'graphql-yoga';
import type { Identity } from '../../common/identity';
import type { EngineContext } from './engine/types';

/** The per-request context every gateway plugin sees. */
export interface GatewayContext extends YogaInitialContext, EngineContext {
  /** The verified caller (set by authentication; ANONYMOUS until then). */
  identity: Identity;
}

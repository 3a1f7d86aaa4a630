import type { YogaInitialContext } from 'graphql-yoga';
import type { EngineContext } from './engine/types';

/** The per-request context every gateway plugin sees. */
export interface GatewayContext extends YogaInitialContext, EngineContext {}

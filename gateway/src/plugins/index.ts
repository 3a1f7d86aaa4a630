import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../../../common/logger';
import type { GatewayConfig } from '../config';
import type { ExecutionEngine } from '../engine/types';
import type { GraphQLSchema } from 'graphql';
import { useCorrelationId } from './use-correlation-id';
import { useErrorCodes } from './use-error-codes';
import { useExecutionEngine } from './use-execution-engine';
import { useHealth } from './use-health';
import { useLimits } from './use-limits';
import { useIdentityForwarding } from './use-identity-forwarding';
import { ANONYMOUS, IDENTITY_HEADER, identitySecret, signIdentity } from '../../../common/identity';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';

export interface PluginDeps {
  config: GatewayConfig;
  engine: ExecutionEngine;
  schema: GraphQLSchema;
  logger: Logger;
}

/**
 * The gateway's plugins, in order. Each feature is one file in this folder; this list is
 * the only place that decides the order (limits → authentication → authorization → cache →
 * audit → plan monitor → metrics, as features arrive).
 */
export function gatewayPlugins(deps: PluginDeps): Plugin[] {
  const { config } = deps;
  const secret = identitySecret(config.identitySecret);
  return [
    useHealth({ engine: deps.engine, probeHeaders: async () => ({ [IDENTITY_HEADER]: await signIdentity(ANONYMOUS, secret) }) }),
    useCorrelationId() as Plugin,
    useErrorCodes(),
    // Browsers may only send preflighted requests (JSON POST, or GET with this header).
    useCSRFPrevention({ requestHeaders: ['x-amtsgraph-csrf', 'apollo-require-preflight'] }),
    ...useLimits({ ...config.limits, blockFieldSuggestions: config.mode === 'production' }),
    // authentication (sets context.identity) goes here
    useIdentityForwarding({ secret }) as Plugin,
    // authorization → cache → audit → plan monitor / metrics (as they arrive)
    useExecutionEngine(deps.engine, deps.schema) as Plugin,
  ];
}

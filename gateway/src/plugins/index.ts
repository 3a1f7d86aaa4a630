import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../../../common/logger';
import type { GatewayConfig } from '../config';
import type { ExecutionEngine } from '../engine/types';
import type { GraphQLSchema } from 'graphql';
import { useCorrelationId } from './use-correlation-id';
import { useErrorCodes } from './use-error-codes';
import { useExecutionEngine } from './use-execution-engine';
import { useHealth } from './use-health';

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
  return [
    useHealth({ engine: deps.engine }),
    useCorrelationId() as Plugin,
    useErrorCodes(),
    useExecutionEngine(deps.engine, deps.schema) as Plugin,
  ];
}

import { z } from 'zod';
import { DEFAULT_HOST, envName, STAND_INS, SUBGRAPHS, type StandInName, type SubgraphName, standInPortVariable } from './services';

/**
 * Environment variables are read here and nowhere else. Each reader validates and says
 * which variable is wrong, what it expects and what it received.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readPort(variable: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${variable} must be a TCP port between 0 and 65535, received "${raw}"`);
  }
  return port;
}

export function readUrl(variable: string, fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (!z.string().url().safeParse(raw).success || !/^https?:/.test(raw)) {
    throw new ConfigError(`${variable} must be an http(s) URL such as http://127.0.0.1:4101, received "${raw}"`);
  }
  return raw.replace(/\/$/, '');
}

export function readHost(env: NodeJS.ProcessEnv = process.env): string {
  return env.AMTSGRAPH_HOST || DEFAULT_HOST;
}

export function standInPort(name: StandInName, env: NodeJS.ProcessEnv = process.env): number {
  return readPort(standInPortVariable(name), STAND_INS[name].port, env);
}

/** Base URL of a stand-in (or of the real upstream, when `<NAME>_URL` points there). */
export function upstreamUrl(name: StandInName, env: NodeJS.ProcessEnv = process.env): string {
  const host = readHost(env);
  return readUrl(envName(name, 'URL'), `http://${host}:${standInPort(name, env)}`, env);
}

export function subgraphPort(name: SubgraphName, env: NodeJS.ProcessEnv = process.env): number {
  return readPort(envName(name, 'PORT'), SUBGRAPHS[name].port, env);
}

export function subgraphUrl(name: SubgraphName, env: NodeJS.ProcessEnv = process.env): string {
  const host = readHost(env);
  return readUrl(envName(`${name}_subgraph`, 'URL'), `http://${host}:${subgraphPort(name, env)}/graphql`, env);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL, one of fatal|error|warn|info|debug|trace|silent. */
export function readLogLevel(fallback: LogLevel, env: NodeJS.ProcessEnv = process.env): LogLevel {
  const raw = env.LOG_LEVEL;
  if (raw === undefined || raw === '') return fallback;
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, received "${raw}"`);
  }
  return raw as LogLevel;
}

import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Output of a command-line script, injectable for tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export type CliValues = Record<string, string | boolean | undefined>;

/** The committed supergraph, the default of every script that plans or validates. */
export const DEFAULT_SUPERGRAPH = path.join(__dirname, '..', 'schema', 'supergraph.graphql');

/**
 * Parses `argv` strictly for a script named `name` (positionals only when `allowPositionals`).
 * Returns the values and positionals, or the exit code to end with: 0 after `--help` printed
 * the usage, 2 after an argument error printed the message and the usage.
 */
export function parseCommand(
  name: string,
  usage: string,
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  io: CliIo,
  allowPositionals = false,
): { values: CliValues; positionals: string[]; fail: (message: string) => number } | number {
  const fail = (message: string) => {
    io.err(`${name}: ${message}\n\n${usage}`);
    return 2;
  };
  let values: CliValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals, options: { ...options, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    return fail((error as Error).message);
  }
  if (values.help) {
    io.out(usage);
    return 0;
  }
  return { values, positionals, fail };
}

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

/** CliIo with the environment, for scripts that read REDIS_URL and the like. */
export interface CliEnvIo extends CliIo {
  env: NodeJS.ProcessEnv;
}

/**
 * Runs a script's command on the process's arguments, stdout, stderr and environment, and
 * ends with its exit code; an unexpected error prints `<name>: <message>` (no stack) and 1.
 */
export function runMain(name: string, command: (argv: string[], io: CliEnvIo) => Promise<number>): void {
  command(process.argv.slice(2), { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text), env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${name}: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}

import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Output of a command-line script, injectable for tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export type CliValues = Record<string, string | boolean | undefined>;

/**
 * Parses `argv` strictly (no positionals) for a script named `name`. Returns the values, or
 * the exit code to end with: 0 after `--help` printed the usage, 2 after an argument error
 * printed the message and the usage.
 */
export function parseCommand(
  name: string,
  usage: string,
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  io: CliIo,
): { values: CliValues; fail: (message: string) => number } | number {
  const fail = (message: string) => {
    io.err(`${name}: ${message}\n\n${usage}`);
    return 2;
  };
  let values: CliValues;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { ...options, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    return fail((error as Error).message);
  }
  if (values.help) {
    io.out(usage);
    return 0;
  }
  return { values, fail };
}

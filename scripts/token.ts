import path from 'node:path';
import { ConfigError } from '../common/env';
import { DEV_DIR } from '../common/secrets';
import { agsProblem, DEFAULT_ALLOWED_PURPOSES, parseScopes, subjectProblem } from '../gateway/src/auth/claims';
import { DEV_AUDIENCE, DEV_ISSUER, loadDevIssuer } from '../gateway/src/auth/dev-issuer';
import { readAllowedPurposes } from '../gateway/src/config';
import { parseCommand, runMain } from './cli';

/**
 * `npm run -s token -- --sub … [--scope "a b"] [--ags 05122000] [--purpose …] [--ttl 3600]`
 * prints a JWT from the local development issuer (key in `.amtsgraph/`, created if missing),
 * which the gateway trusts in development mode. The token goes to stdout alone, so
 * `TOKEN=$(npm run -s token -- --sub …)` works; a summary goes to stderr.
 */
export const USAGE = `Usage: npm run -s token -- --sub <subject> [--scope "<scope> <scope>"] [--ags <8 digits>] [--purpose <purpose>] [--ttl <seconds>]

  --sub      the caller's subject (required), e.g. sb-mueller
  --scope    space-separated scopes, e.g. "melde:read gewerbe:read" (default: none)
  --ags      the official's municipality, 8-digit Amtlicher Gemeindeschlüssel, e.g. 05122000
  --purpose  purpose of processing, one of the allowed purposes (AUTH_ALLOWED_PURPOSES)
  --ttl      lifetime in seconds, 1 to 86400 (default 3600)
  --dir      folder of the development issuer's key (default .amtsgraph/)
`;

const MAX_TTL_SECONDS = 86_400;

/** Relative to the working directory when inside it, else absolute. */
const shownPath = (file: string) => {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
};

export interface TokenIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** Runs the command; returns the exit code (0 ok, 2 bad arguments). */
export async function tokenCommand(argv: string[], io: TokenIo): Promise<number> {
  const parsed = parseCommand(
    'token',
    USAGE,
    argv,
    {
    sub: { type: 'string' },
    scope: { type: 'string' },
    ags: { type: 'string' },
    purpose: { type: 'string' },
    ttl: { type: 'string' },
    dir: { type: 'string' },
    },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, fail } = parsed;
  const sub = values.sub as string | undefined;
  if (sub === undefined) return fail('--sub is required (the subject of the caller, e.g. --sub sb-mueller)');
  const subProblem = subjectProblem(sub);
  if (subProblem) return fail(`--sub ${subProblem}, received ${JSON.stringify(sub)}`);

  const scope = (values.scope as string | undefined) ?? '';
  const { scopes, problem: scopeProblem } = parseScopes(scope.trim().replace(/\s+/g, ' '));
  if (scopeProblem) return fail(`--scope ${scopeProblem}, received ${JSON.stringify(scope)}`);

  const ags = values.ags as string | undefined;
  const agsIssue = ags === undefined ? null : agsProblem(ags);
  if (agsIssue) return fail(`--ags ${agsIssue}, received ${JSON.stringify(ags)}`);

  let allowed: readonly string[];
  try {
    allowed = readAllowedPurposes(io.env) ?? DEFAULT_ALLOWED_PURPOSES;
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.message);
    throw error;
  }
  const purpose = values.purpose as string | undefined;
  if (purpose !== undefined && !allowed.includes(purpose)) {
    return fail(`--purpose must be one of ${allowed.join(', ')}, received ${JSON.stringify(purpose)}`);
  }

  const ttlRaw = (values.ttl as string | undefined) ?? '3600';
  const ttl = Number(ttlRaw);
  if (!/^\d+$/.test(ttlRaw) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    return fail(`--ttl must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}, received ${JSON.stringify(ttlRaw)}`);
  }

  const issuer = loadDevIssuer((values.dir as string | undefined) ?? DEV_DIR);
  const token = await issuer.issue({ sub, scopes, ags: ags ?? null, purpose: purpose ?? null, ttlSeconds: ttl });
  io.out(`${token}\n`);
  io.err(
    `Token for ${sub} (scopes: ${scopes.join(' ') || 'none'}; ags: ${ags ?? 'none'}; purpose: ${purpose ?? 'none'}), ` +
      `valid for ${ttl} s, issuer ${DEV_ISSUER}, audience ${DEV_AUDIENCE}, key ${shownPath(issuer.keyFile)}.\n` +
      `The gateway trusts it in development mode. Send it as: -H "authorization: Bearer $TOKEN"\n`,
  );
  return 0;
}

if (require.main === module) runMain('token', tokenCommand);

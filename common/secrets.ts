import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Development secrets live in `.amtsgraph/` at the repository root (git-ignored), created on
 * first start with owner-only permissions. Production sets them through the environment.
 */
export const DEV_DIR = path.join(__dirname, '..', '.amtsgraph');

export function devSecret(name: string, create: () => string = () => randomBytes(32).toString('base64url')): string {
  const file = path.join(DEV_DIR, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(DEV_DIR, { recursive: true, mode: 0o700 });
  const value = create();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return value;
}

/** AMTSGRAPH_IDENTITY_SECRET, or the development secret in .amtsgraph/identity-secret. */
export function identitySecretValue(env: NodeJS.ProcessEnv = process.env): string {
  return env.AMTSGRAPH_IDENTITY_SECRET || devSecret('identity-secret');
}

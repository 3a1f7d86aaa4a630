import { amtsError } from '../../common/errors';

/**
 * Opaque cursors for offset-paged upstreams: `after` is the base64url of `o:<offset>`.
 * Subgraphs whose upstream pages by cursor pass that cursor through instead.
 */
export function offsetCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

export function offsetFromCursor(after: string | null | undefined): number {
  if (after === null || after === undefined) return 0;
  const decoded = Buffer.from(after, 'base64url').toString('utf8');
  const match = /^o:(\d+)$/.exec(decoded);
  if (!match) throw amtsError('BAD_USER_INPUT', 'after is not a cursor returned by this field (pageInfo.endCursor)', { argumentName: 'after' });
  return Number(match[1]);
}

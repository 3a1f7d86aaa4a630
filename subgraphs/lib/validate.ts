import { amtsError } from '../../common/errors';

/** Official keys are strings of digits; leading zeros matter ("01001000" is Flensburg). */
const AGS = /^\d{8}$/;
const ARS = /^\d{12}$/;
/** LeiKa keys are 14 digits and start with 99 ("99" + group + kind + action + detail). */
const LEIKA_KEY = /^99\d{12}$/;
/** Longest free-text search term passed on to an upstream. */
export const MAX_SEARCH_LENGTH = 100;

export function assertAgs(ags: string, argumentName = 'ags'): string {
  if (!AGS.test(ags)) {
    throw amtsError(
      'BAD_USER_INPUT',
      `${argumentName} must be an 8-digit Amtlicher Gemeindeschlüssel such as "05122000", received "${ags.slice(0, 40)}"`,
      { argumentName },
    );
  }
  return ags;
}

export function assertArs(ars: string, argumentName = 'ars'): string {
  if (!ARS.test(ars)) {
    throw amtsError(
      'BAD_USER_INPUT',
      `${argumentName} must be a 12-digit Amtlicher Regionalschlüssel such as "051220000000", received "${ars.slice(0, 40)}"`,
      { argumentName },
    );
  }
  return ars;
}

export function assertLeikaKey(leikaKey: string, argumentName = 'leikaKey'): string {
  if (!LEIKA_KEY.test(leikaKey)) {
    throw amtsError(
      'BAD_USER_INPUT',
      `${argumentName} must be a 14-digit LeiKa key starting with 99, such as "99050012104000", received "${leikaKey.slice(0, 40)}"`,
      { argumentName },
    );
  }
  return leikaKey;
}

/** A page size between 0 and `max`. */
export function assertFirst(first: number, max: number, argumentName = 'first'): number {
  if (!Number.isInteger(first) || first < 0 || first > max) {
    throw amtsError('BAD_USER_INPUT', `${argumentName} must be between 0 and ${max}, received ${first}`, {
      argumentName,
    });
  }
  return first;
}

/** True for a real calendar date written YYYY-MM-DD (rejects 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/**
 * A free-text search term: trimmed, Unicode-normalised (NFC, so a decomposed "Köln" finds
 * the register's "Köln"), at most MAX_SEARCH_LENGTH characters; null when empty.
 */
export function searchTerm(value: string | null | undefined, argumentName: string): string | null {
  if (value === null || value === undefined) return null;
  const term = value.normalize('NFC').trim();
  if (term.length > MAX_SEARCH_LENGTH) {
    throw amtsError('BAD_USER_INPUT', `${argumentName} must be at most ${MAX_SEARCH_LENGTH} characters, received ${term.length}`, {
      argumentName,
    });
  }
  return term || null;
}

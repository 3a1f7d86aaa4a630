import { amtsError } from '../../common/errors';

/** Official keys are strings of digits; leading zeros matter ("01001000" is Flensburg). */
const AGS = /^\d{8}$/;
const ARS = /^\d{12}$/;
const LEIKA_KEY = /^\d{14}$/;

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
      `${argumentName} must be a 14-digit LeiKa key such as "99050012104000", received "${leikaKey.slice(0, 40)}"`,
      { argumentName },
    );
  }
  return leikaKey;
}

/** The 12-digit ARS of a municipality from its 8-digit AGS, via the register's ARS field. */
export function assertFirst(first: number, max: number, argumentName = 'first'): number {
  if (!Number.isInteger(first) || first < 0 || first > max) {
    throw amtsError('BAD_USER_INPUT', `${argumentName} must be between 0 and ${max}, received ${first}`, {
      argumentName,
    });
  }
  return first;
}

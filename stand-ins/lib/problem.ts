import { STATUS_CODES } from 'node:http';
import type { StandInOptions, StandInResponse } from './stand-in';

/**
 * RFC 7807 `application/problem+json` error bodies, as the register, LeiKa/routing, trade
 * register and the HB residents-registry vendor answer them. Spread into `createStandIn`:
 * `createStandIn({ ...problemDetails, name, routes })`.
 */
export const problemDetails: Pick<StandInOptions, 'errorBody' | 'errorContentType'> = {
  errorContentType: 'application/problem+json',
  errorBody: (status, message, req) => ({
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: message,
    instance: req.path,
  }),
};

/** A route's error answer: the framework renders `detail` in the stand-in's error format. */
export function problem(status: number, detail: string): StandInResponse {
  return { status, body: detail };
}

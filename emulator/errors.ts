/** An error that is answered to the client with Twilio's error body. */
export class TwilioError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'TwilioError';
  }
}

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function errorBody(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

export const notFound = (what: string): TwilioError =>
  new TwilioError(404, 20404, `The requested resource ${what} was not found`);

export const invalidParameter = (message: string): TwilioError => new TwilioError(400, 20001, message);

/** Default Twilio code for an injected status without an explicit code. */
export function defaultCodeForStatus(status: number): number {
  const known: Record<number, number> = { 400: 20001, 401: 20003, 403: 20403, 404: 20404, 405: 20004, 429: 20429, 500: 20500, 503: 20503 };
  return known[status] ?? 20000 + status;
}

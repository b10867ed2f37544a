import { StoreUnavailableError } from './document-store';

interface RestError {
  status?: unknown;
  code?: unknown;
  message?: unknown;
  name?: unknown;
}

/**
 * What a failed Sync request says, as a {@link StoreUnavailableError}: Twilio's answer (HTTP status
 * and Twilio error code, `429 / 54009`), or a request abandoned when its time was up (the decision's
 * deadline or the request's own timeout: an AbortError or TimeoutError, whose DOMException `code` is
 * no Twilio code), or the network's error (`connect ECONNREFUSED …`). Only Twilio's answers carry a
 * status and a code.
 */
export function storeFailure(error: unknown, operation: string, name: string): StoreUnavailableError {
  if (error instanceof StoreUnavailableError) return error;
  const e = (error ?? {}) as RestError;
  const what = `Sync ${operation} of ${name}`;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return new StoreUnavailableError(`${what} abandoned: ${e.name === 'TimeoutError' ? 'its time was up' : 'aborted'} before Sync answered`);
  }
  if (typeof e.status === 'number') {
    const code = typeof e.code === 'number' ? e.code : undefined;
    return new StoreUnavailableError(`${what} failed: ${e.status}${code === undefined ? '' : ` / ${code}`}`, e.status, code);
  }
  return new StoreUnavailableError(`${what} failed: ${typeof e.message === 'string' && e.message !== '' ? e.message : String(error)}`);
}

/** The HTTP status of a Twilio error (twilio-node's RestException), if it is one. */
export const statusOf = (error: unknown): number | undefined => {
  const status = (error as RestError | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
};

/** The Twilio error code of a Twilio error, if it is one. */
export const codeOf = (error: unknown): number | undefined => {
  const code = (error as RestError | undefined)?.code;
  return typeof code === 'number' && statusOf(error) !== undefined ? code : undefined;
};

/** GET requests to /status and the status page, as a person's browser or a script sends them. */
import { ACCOUNT_SID } from './events';
import { AUTH_TOKEN } from './twilio-request';

export const accountBasicAuth = (user = ACCOUNT_SID, password = AUTH_TOKEN) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** `authorization` '' sends none. */
export async function getStatus(baseUrl: string, authorization = accountBasicAuth()) {
  const res = await fetch(`${baseUrl}/status`, { headers: { Accept: 'application/json', ...(authorization && { Authorization: authorization }) } });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** GET requests to /status and the status page, as a person's browser or a script sends them. */

/** The STATUS_PASSWORD the tests configure. */
export const STATUS_PASSWORD = 'a-long-random-status-password';

export const statusBasicAuth = (password = STATUS_PASSWORD, user = 'anyone') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** `authorization` '' sends none. */
export async function getStatus(baseUrl: string, authorization = statusBasicAuth()) {
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

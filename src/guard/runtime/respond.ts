import type { ServerlessCallback } from '@twilio-labs/serverless-runtime-types/types';
import type { Answer } from '../http/answer';

/** Sends an answer through the Functions runtime as JSON with its status code. */
export function respond(callback: ServerlessCallback, answer: Answer): void {
  const response = new Twilio.Response();
  response.setStatusCode(answer.status);
  response.appendHeader('Content-Type', 'application/json');
  for (const [name, value] of Object.entries(answer.headers ?? {})) response.appendHeader(name, value);
  response.setBody(answer.body);
  callback(null, response);
}

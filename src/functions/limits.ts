import '@twilio-labs/serverless-runtime-types';
import type { Context, ServerlessCallback, ServerlessEventObject } from '@twilio-labs/serverless-runtime-types/types';
import { handleLimits } from '../guard/limits-endpoint';
import { consoleLogger } from '../guard/log';
import { respond } from '../guard/runtime/respond';

/**
 * GET /limits: the effective message limits as JSON, public (no credential, CORS open to any page),
 * for the limits-client module (GET /limits-client.js) to judge a draft exactly as the webhook will.
 * Nothing secret: only the values of the variables the message rules read.
 */
export const handler = async (context: Context, event: ServerlessEventObject, callback: ServerlessCallback) => {
  respond(callback, handleLimits({ event, env: context }, { log: consoleLogger }));
};

/**
 * Settings that only mean something on the machine running `npm start`. `npm run deploy` never
 * uploads them: deployed, Twilio gives the functions their own credentials and checks signatures at
 * its gateway, and a value from this machine (a tunnel URL, the emulator's address) would break
 * every decision.
 */
export const LOCAL_ONLY: Readonly<Record<string, string>> = {
  ACCOUNT_SID: 'used to deploy; Twilio gives deployed functions their own',
  AUTH_TOKEN: 'used to deploy; Twilio gives deployed functions their own',
  WEBHOOK_BASE_URL: 'the URL a tunnel to this machine signs with; deployed, Twilio checks signatures before the function runs',
  TWILIO_API_BASE_URL: 'points the functions at a local Twilio API emulator; deployed functions call Twilio itself',
  PORT: 'port of the local server',
  EMULATOR_PORT: 'port of the local Twilio API emulator',
};

/** Values never shown by /status or /limits, nor written to a log. */
export const SECRETS: readonly string[] = ['AUTH_TOKEN', 'STATUS_PASSWORD'];

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

/**
 * Values Twilio's runtime gives a function, which a `.env` must not hold: the local runtime spreads
 * `.env` over the function's context, so a value there would stand in for the runtime's own and
 * change how a request is authenticated. `npm start`, `npm run check-config` and `npm run deploy`
 * refuse a `.env` that sets one, with the reason given here.
 */
export const RUNTIME_PROVIDED: Readonly<Record<string, string>> = {
  SERVICE_SID:
    "unset: Twilio sets SERVICE_SID for deployed functions only, and the functions take it as the sign that Twilio's gateway has checked X-Twilio-Signature; in a local .env it would switch their own signature check off, so any unsigned request would be answered",
  DOMAIN_NAME:
    'unset: the runtime sets DOMAIN_NAME to the domain the functions are served on, and locally X-Twilio-Signature is checked against it; set WEBHOOK_BASE_URL for a tunnel instead',
};

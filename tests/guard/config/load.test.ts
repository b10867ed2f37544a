import { ConfigError } from '../../../src/guard/config/errors';
import { parseSettings, settingsFor } from '../../../src/guard/config/load';
import { VARIABLES, type VariableName } from '../../../src/guard/config/variables';
import { configError } from '../../support/settings';

/** The ConfigError parseSettings throws for `env`. */
describe('defaults', () => {
  test('every default in VARIABLES is itself a valid value', () => {
    expect(() => parseSettings({})).not.toThrow();
  });

  test.each(Object.keys(VARIABLES) as VariableName[])('%s: unset, empty and blank all take the default', (name) => {
    const fromDefault = parseSettings({})[name];
    expect(parseSettings({ [name]: '' })[name]).toEqual(fromDefault);
    expect(parseSettings({ [name]: '   ' })[name]).toEqual(fromDefault);
    expect(parseSettings({ [name]: VARIABLES[name].default })[name]).toEqual(fromDefault);
  });

  test('values that are not strings (context also holds functions) are ignored', () => {
    expect(parseSettings({ MAX_CHAT_BODY_BYTES: 5 as unknown as string }).MAX_CHAT_BODY_BYTES).toBe(parseSettings({}).MAX_CHAT_BODY_BYTES);
  });
});

describe('valid values', () => {
  test.each([
    ['MAX_CHAT_BODY_BYTES', '1600', 1600],
    ['MAX_CHAT_BODY_BYTES', ' 42 ', 42],
    ['MAX_CHAT_BODY_BYTES', '0', 0],
    ['DECISION_TIMEOUT', '500ms', 500],
    ['DECISION_TIMEOUT', '2s', 2000],
    ['DECISION_TIMEOUT', '4.5 seconds', 4500],
    ['IDENTITY_TALLY_MAX_AGE', '1 minute', 60000],
    ['DECISION_TIMEOUT', '250', 250],
    ['GUARD_MODE', 'shadow', 'shadow'],
    ['GUARD_MODE', 'SHADOW', 'shadow'],
    ['FAIL_MODE', 'Closed', 'closed'],
    ['SIGNATURE_CHECK', 'off', 'off'],
    ['FLEX_NO_TEXT_WITH_IMAGE', 'true', true],
    ['FLEX_NO_TEXT_WITH_IMAGE', 'YES', true],
    ['FLEX_NO_TEXT_WITH_IMAGE', '1', true],
    ['FLEX_NO_TEXT_WITH_IMAGE', 'off', false],
    ['FLEX_NO_TEXT_WITH_IMAGE', 'false', false],
    ['MAX_SMS_SEGMENTS', '10', 10],
    ['MAX_SMS_SEGMENTS', 'off', undefined],
    ['MAX_SMS_SEGMENTS', 'OFF', undefined],
    ['MAX_SMS_SEGMENTS', '0', undefined],
    ['ATTACHMENTS_SMS_EXTENSIONS', 'jpg,png', ['jpg', 'png']],
    ['ATTACHMENTS_SMS_EXTENSIONS', ' .JPG , Png ', ['jpg', 'png']],
    ['ATTACHMENTS_SMS_EXTENSIONS', '*', '*'],
    ['WEBHOOK_BASE_URL', 'https://example.ngrok.app', 'https://example.ngrok.app'],
    ['WEBHOOK_BASE_URL', 'https://example.ngrok.app/', 'https://example.ngrok.app'],
    ['WEBHOOK_BASE_URL', 'http://localhost:3000', 'http://localhost:3000'],
    ['SYNC_SERVICE_SID', ' IS0123 ', 'IS0123'],
    ['RATE_LIMIT_ACTIONS_PER_CONVERSATION', '30/1s', { limit: 30, windowMs: 1000 }],
    ['RATE_LIMIT_ACTIONS_PER_CONVERSATION', '5 / 10 seconds', { limit: 5, windowMs: 10000 }],
    ['RATE_LIMIT_MESSAGES_PER_AUTHOR', 'off', undefined],
  ] as const)('%s=%p reads as %p', (name, raw, value) => {
    expect(parseSettings({ [name]: raw })[name]).toEqual(value);
  });
});

describe('a bad value is a configuration error naming the variable, the value and the expected form', () => {
  test.each([
    ['whole number', 'MAX_CHAT_BODY_BYTES', 'lots', /whole number/],
    ['whole number', 'MAX_CHAT_BODY_BYTES', '1.5', /whole number/],
    ['whole number', 'MAX_IDENTITY_CHARS', '-1', /whole number/],
    ['whole number', 'MAX_CHAT_BODY_BYTES', '32KB', /whole number/],
    ['whole number', 'MAX_CHAT_BODY_BYTES', '99999999999999999999', /whole number/],
    ['whole number or off', 'MAX_SMS_SEGMENTS', 'never', /whole number.*or off/],
    ['duration', 'DECISION_TIMEOUT', 'soon', /duration from 50ms to 4.5s/],
    ['duration past Twilio\'s 5-second webhook timeout', 'DECISION_TIMEOUT', '6s', /duration from 50ms to 4.5s/],
    ['duration too short to reach Twilio (a bare number is milliseconds)', 'DECISION_TIMEOUT', '3', /duration from 50ms to 4.5s/],
    ['duration', 'IDENTITY_TALLY_MAX_AGE', 'soon', /duration such as 3s/],
    ['duration', 'DECISION_TIMEOUT', '0', /duration/],
    ['duration', 'DECISION_TIMEOUT', '-2s', /duration/],
    ['enum', 'GUARD_MODE', 'loud', /enforce or shadow/],
    ['enum', 'FAIL_MODE', 'maybe', /open or closed/],
    ['enum', 'SIGNATURE_CHECK', 'disabled', /on or off/],
    ['flag', 'FLEX_ONE_ATTACHMENT_PER_MESSAGE', 'sometimes', /true or false/],
    ['extension list', 'ATTACHMENTS_WEB_EXTENSIONS', 'jpg;png', /comma-separated file extensions/],
    ['extension list', 'MMS_EXTENSIONS', 'jpg,,png', /comma-separated file extensions/],
    ['extension list', 'WHATSAPP_EXTENSIONS', 'image/png', /comma-separated file extensions/],
    ['URL', 'WEBHOOK_BASE_URL', 'example.ngrok.app', /absolute http\(s\) URL/],
    ['URL', 'TWILIO_API_BASE_URL', 'ftp://127.0.0.1:4010', /absolute http\(s\) URL/],
    ['rate', 'RATE_LIMIT_ACTIONS_PER_CONVERSATION', 'fast', /<count>\/<period>/],
    ['rate', 'RATE_LIMIT_ACTIONS_PER_CONVERSATION', '0/1s', /<count>\/<period>/],
    ['rate', 'RATE_LIMIT_CONVERSATIONS_PER_SERVICE', '30/soon', /<count>\/<period>/],
    ['rate rules', 'RATE_LIMITS', 'burst=30/1s per planet', /rules separated by ";"/],
    ['rate rules', 'RATE_LIMITS', 'burst=off per conversation', /rules separated by ";"/],
    ['rate rules', 'RATE_LIMITS', 'email=30/1s per conversation from fax', /rules separated by ";"/],
  ] as const)('%s: %s=%p', (_kind, name, value, form) => {
    const error = configError({ [name]: value });
    expect(error.problems).toEqual([{ variable: name, value, expected: expect.stringContaining(VARIABLES[name].parser.form) }]);
    expect(error.message).toContain(`${name}=${JSON.stringify(value)} is not valid`);
    expect(error.message).toMatch(form);
    expect(error.name).toBe('ConfigError');
  });

  test('several bad values are reported together, in one error', () => {
    const error = configError({ MAX_CHAT_BODY_BYTES: 'lots', DECISION_TIMEOUT: 'soon', GUARD_MODE: 'loud', ATTACHMENTS_SMS_EXTENSIONS: 'jpg;png' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['ATTACHMENTS_SMS_EXTENSIONS', 'DECISION_TIMEOUT', 'GUARD_MODE', 'MAX_CHAT_BODY_BYTES']);
    for (const needle of ['MAX_CHAT_BODY_BYTES="lots"', 'DECISION_TIMEOUT="soon"', 'GUARD_MODE="loud"', 'ATTACHMENTS_SMS_EXTENSIONS="jpg;png"']) {
      expect(error.message).toContain(needle);
    }
  });

  test('the value is shown trimmed, as it was read', () => {
    expect(configError({ GUARD_MODE: '  loud ' }).problems).toEqual([{ variable: 'GUARD_MODE', value: 'loud', expected: 'enforce or shadow' }]);
  });

  test('the error says where the configuration came from', () => {
    expect(() => parseSettings({ GUARD_MODE: 'loud' }, '.env')).toThrow(/^Invalid configuration in \.env: GUARD_MODE/);
    expect(() => parseSettings({ GUARD_MODE: 'loud' })).toThrow(/^Invalid configuration in environment: /);
  });
});

describe('settingsFor (parsed once per instance)', () => {
  test('the same environment gives the same settings object', () => {
    const env = { MAX_CHAT_BODY_BYTES: '100', AUTH_TOKEN: 'x' };
    expect(settingsFor(env)).toBe(settingsFor({ ...env }));
  });

  test('a changed variable is read again', () => {
    expect(settingsFor({ MAX_CHAT_BODY_BYTES: '100' }).MAX_CHAT_BODY_BYTES).toBe(100);
    expect(settingsFor({ MAX_CHAT_BODY_BYTES: '101' }).MAX_CHAT_BODY_BYTES).toBe(101);
  });

  test('a bad value throws every time, not only the first', () => {
    expect(() => settingsFor({ GUARD_MODE: 'loud' })).toThrow(ConfigError);
    expect(() => settingsFor({ GUARD_MODE: 'loud' })).toThrow(ConfigError);
  });
});

describe('STATUS_PASSWORD', () => {
  test('needs 16 characters; a shorter one is refused with its length, never its value', () => {
    const error = configError({ STATUS_PASSWORD: ' hunter2 ' });
    expect(error.problems).toEqual([{ variable: 'STATUS_PASSWORD', value: '<7 characters, not shown>', expected: VARIABLES.STATUS_PASSWORD.parser.form, secret: true }]);
    expect(error.message).toBe(`Invalid configuration in environment: STATUS_PASSWORD=<7 characters, not shown> is not valid; expected ${VARIABLES.STATUS_PASSWORD.parser.form}`);
    expect(error.message).not.toContain('hunter2');
    expect(parseSettings({ STATUS_PASSWORD: ' 16-characters-ok ' }).STATUS_PASSWORD).toBe('16-characters-ok');
    // Characters, not UTF-16 code units: eight emoji are 16 units but 8 characters.
    expect(() => parseSettings({ STATUS_PASSWORD: '🔑'.repeat(8) })).toThrow('STATUS_PASSWORD=<8 characters, not shown>');
  });

  test('the functions that decide do not read it: a short one turns the status page off, not the guard', () => {
    expect(settingsFor({ STATUS_PASSWORD: 'abc', MAX_CHAT_BODY_BYTES: '100' }).MAX_CHAT_BODY_BYTES).toBe(100);
    expect(() => settingsFor({ STATUS_PASSWORD: 'abc', GUARD_MODE: 'loud' })).toThrow(/GUARD_MODE="loud"/);
  });
});

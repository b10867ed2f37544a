/**
 * fast-check generators of webhook requests: Conversations events that look valid with random field
 * values, fields missing or given twice, JSON fields that are valid, broken, deeply nested or of the
 * wrong type, numbers as text, huge, empty and unicode values (lone surrogates included), bodies in
 * other encodings than Twilio's form, and every kind of signature.
 */
import fc from 'fast-check';
import { anyCodePoints } from './code-points';
import { ADDRESSES, AUTHORS } from './events';
import { POST_EVENT_PATH, type RawWebhookRequest, type SignatureKind } from './fuzz-webhook';
import { PRE_EVENT_PATH } from './runtime';

/** Event types Twilio sends to the two functions, judged or not. */
export const REAL_EVENT_TYPES = [
  'onMessageAdd',
  'onMessageUpdate',
  'onMessageRemove',
  'onParticipantAdd',
  'onParticipantUpdate',
  'onParticipantRemove',
  'onConversationAdd',
  'onConversationUpdate',
  'onConversationRemove',
  'onMessageAdded',
  'onParticipantAdded',
  'onParticipantRemoved',
  'onConversationStateUpdated',
  'onConversationRemoved',
  'onDeliveryUpdated',
] as const;

const JUDGED_EVENT_TYPES = REAL_EVENT_TYPES.filter((t) => /^on(Message|Participant|Conversation)(Add|Update)$/.test(t));

/** Conversations the emulator knows (with participants of every channel) and sids it does not. */
export interface FuzzWorld {
  conversations: readonly string[];
}

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const sidOf = (prefix: string) => hex(32).map((h) => prefix + h);

/** Strings JSON.stringify and the form encoder turn into something other than UTF-8 text. */
const LONE_SURROGATES = fc.constantFrom('\uD800', '\uDFFF', 'a\uD83D', '\uDE00b', '😀\uD800😀');

const text = (maxLength = 40) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
    { weight: 2, arbitrary: anyCodePoints({ maxLength }) },
    { weight: 1, arbitrary: LONE_SURROGATES },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u0000', '\r\n', '%', '&', '=', '+', '../..', '?a=b#c', 'null', 'undefined', '__proto__') },
  );

/**
 * Sizes around the limits the rules test (1600 characters, 4 KB, 16 KB, 32 KB) and, when `huge`,
 * twice the largest (what a form parser must survive; in process they only cost time). A body over
 * the runtime's 6 MB limit is sent by webhook-fuzz.test.ts on its own.
 */
const bigTextOf = (huge: boolean) =>
  fc
    .tuple(fc.constantFrom(1599, 1600, 1601, 4096, 4097, 16_385, 32_768, 32_769, ...(huge ? [70_000] : [])), fc.constantFrom('a', 'é', '😀', '\uD800'))
    .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)));

const fieldTextOf = (huge: boolean) => fc.oneof({ weight: 8, arbitrary: text() }, { weight: 1, arbitrary: bigTextOf(huge) });

const numberAsText = fc.oneof(
  fc.integer().map(String),
  fc.nat().map(String),
  fc.constantFrom('', ' 5 ', '1e3', '1.5', '-1', '-0', '0x10', 'NaN', 'Infinity', '1e309', '9007199254740993', '１２', '12abc'),
);

const nested = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);

const mediaItem = fc.record(
  {
    Sid: fc.oneof(sidOf('ME'), text(), fc.integer()),
    Filename: fc.oneof(fc.constantFrom('photo.jpg', 'anim.GIF', 'doc.pdf', 'noext', '.png', 'a.tar.gz', 'voice.oga', ''), text(), fc.constant(null)),
    ContentType: fc.oneof(fc.constantFrom('image/jpeg', 'image/gif', 'application/pdf', 'video/mp4', 'text/plain', 'audio/ogg', ''), text(), fc.integer()),
    Size: fc.oneof(
      fc.nat({ max: 200_000_000 }),
      fc.integer({ min: -5, max: -1 }),
      fc.double(),
      numberAsText,
      fc.constantFrom(2 ** 60, Number.MAX_SAFE_INTEGER, null, true),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    size: fc.nat(),
    content_type: fc.constantFrom('image/png', 'image/gif'),
  },
  { requiredKeys: [] },
);

/** The `Media` field: a valid array, the wrong JSON type, broken JSON, or nested far too deep. */
const mediaFieldOf = (huge: boolean) => fc.oneof(
  { weight: 5, arbitrary: fc.array(mediaItem, { maxLength: 12 }).map((items) => JSON.stringify(items)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'undefined') },
  { weight: 2, arbitrary: fc.array(mediaItem, { minLength: 1, maxLength: 3 }).chain((items) => fc.nat().map((cut) => JSON.stringify(items).slice(0, 1 + (cut % JSON.stringify(items).length)))) },
  { weight: 1, arbitrary: text() },
  { weight: 1, arbitrary: fc.constantFrom(10, 1000, ...(huge ? [100_000] : [])).chain((d) => fc.constantFrom(nested(d, '[', ']'), `[${nested(d, '{"a":', '}').replace(/:}/, ':1}')}]`, nested(d, '[', ''))) },
);

/** Attributes: valid JSON, garbage, or sized around its limits. */
const attributesFieldOf = (huge: boolean) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 2, arbitrary: text() },
    { weight: 1, arbitrary: bigTextOf(huge).map((t) => JSON.stringify({ note: t })) },
    { weight: 1, arbitrary: fc.constantFrom(nested(huge ? 50_000 : 500, '[', ']'), '{"a":', '{}', '') },
  );

/** A value that looks like `likely`, or any text; big now and then (one in nine), as for every field. */
const likelyOr = (likely: fc.Arbitrary<string>, huge: boolean) =>
  fc.oneof({ weight: 4, arbitrary: likely }, { weight: 4, arbitrary: text() }, { weight: 1, arbitrary: bigTextOf(huge) });

const authorOf = (huge: boolean) =>
  likelyOr(fc.constantFrom(...Object.values(AUTHORS).map((a) => a.Author), ...Object.values(ADDRESSES).flatMap((a) => [a.address, a.proxy])), huge);

const bindingType = fc.oneof(fc.constantFrom('SMS', 'WHATSAPP', 'CHAT', 'EMAIL', 'MESSENGER', 'GBM', 'sms', 'Whatsapp', ''), text());

/** Every field Twilio sends to either function, each with values that look right and values that do not. */
function eventFields(world: FuzzWorld, huge = true) {
  const fieldText = fieldTextOf(huge);
  const author = authorOf(huge);
  const conversationSid = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...world.conversations) },
    { weight: 2, arbitrary: sidOf('CH') },
    { weight: 1, arbitrary: text() },
    { weight: 1, arbitrary: fc.constantFrom('CH' + 'a'.repeat(5000), 'CH../../Services', 'CH%2F..%2F', 'CH?PageSize=1000') },
  );
  return fc.record(
    {
      EventType: fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom(...JUDGED_EVENT_TYPES) },
        { weight: 3, arbitrary: fc.constantFrom(...REAL_EVENT_TYPES) },
        { weight: 1, arbitrary: text() },
      ),
      AccountSid: fc.oneof(sidOf('AC'), text()),
      ChatServiceSid: fc.oneof(fc.constant('IS' + '0123456789abcdef'.repeat(2)), sidOf('IS'), text()),
      ConversationSid: conversationSid,
      Source: fc.oneof(fc.constantFrom('SDK', 'SMS', 'API', 'WHATSAPP', 'sdk', ''), text()),
      ClientIdentity: likelyOr(fc.constantFrom('alice', 'bob'), huge),
      Author: author,
      Body: fieldText,
      MessageBody: fieldText,
      Attributes: attributesFieldOf(huge),
      Media: mediaFieldOf(huge),
      Identity: likelyOr(fc.constantFrom('alice', 'bob', 'member-1'), huge),
      RoleSid: fc.oneof(sidOf('RL'), text()),
      'MessagingBinding.Address': author,
      'MessagingBinding.ProxyAddress': author,
      'MessagingBinding.ProjectedAddress': author,
      'MessagingBinding.AuthorAddress': author,
      'MessagingBinding.Type': bindingType,
      FriendlyName: fieldText,
      UniqueName: fieldText,
      State: fc.oneof(fc.constantFrom('active', 'inactive', 'closed'), text()),
      StateFrom: fc.oneof(fc.constantFrom('active', 'inactive', 'closed'), text()),
      StateTo: fc.oneof(fc.constantFrom('active', 'inactive', 'closed'), text()),
      RetryCount: numberAsText,
      Index: numberAsText,
      ParticipantSid: fc.oneof(sidOf('MB'), text()),
      MessageSid: fc.oneof(sidOf('IM'), text()),
      DateCreated: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), text()),
    },
    // Any field may be missing; EventType and ConversationSid usually are not, so most requests
    // reach the rules rather than stopping at the first missing field.
    { requiredKeys: [] },
  );
}

type FormPart = { key: string; value: string } | { raw: string };

/** Percent-encodes the UTF-8 of `s`; a lone surrogate becomes U+FFFD first, as any encoder does. */
const percentEncode = (s: string) => encodeURIComponent(Buffer.from(s, 'utf8').toString('utf8'));

/** Form fragments no encoder writes: bad escapes, an encoded lone surrogate, stray separators. */
const rawFragment = fc.constantFrom('%', '%zz', 'Body=%E0%A4', 'Body=%ED%A0%80', 'Body=%FF%FE', '&&', '=', '==x', 'EventType', 'Body=a+b%2', ';', 'a=b=c');

function formBody(parts: readonly FormPart[]): string {
  return parts.map((p) => ('raw' in p ? p.raw : `${percentEncode(p.key)}=${percentEncode(p.value)}`)).join('&');
}

const FORM = 'application/x-www-form-urlencoded';

const signature = fc.oneof(
  { weight: 6, arbitrary: fc.constant<SignatureKind>('valid') },
  { weight: 1, arbitrary: fc.constantFrom<SignatureKind>('forged', 'missing', 'empty', 'garbage') },
);

const path = fc.oneof(
  { weight: 6, arbitrary: fc.constant(PRE_EVENT_PATH) },
  { weight: 2, arbitrary: fc.constant(POST_EVENT_PATH) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(PRE_EVENT_PATH, POST_EVENT_PATH), fc.constantFrom('EventType=onMessageAdd', 'Media[0]=x', 'a[b][c]=d', 'Body=%zz', 'ConversationSid=', 'Body=1&Body=2')).map(([p, q]) => `${p}?${q}`) },
);

/**
 * The fields of one pre-event request, as the runtime hands them to the function (strings, some
 * fields missing), with values up to a little over the limits: for fuzzing the decision in process.
 */
export function eventParams(world: FuzzWorld): fc.Arbitrary<Record<string, string>> {
  return eventFields(world, false).map((fields) => Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => typeof entry[1] === 'string')));
}

export interface FuzzOptions {
  /** Let signatures be anything but valid too; false when the runtime runs with SIGNATURE_CHECK=off. */
  signatures?: boolean;
}

/** One webhook request, in any of the shapes described at the top of this file. */
export function webhookRequest(world: FuzzWorld, options: FuzzOptions = {}): fc.Arbitrary<RawWebhookRequest> {
  const fields = eventFields(world);
  const sig = options.signatures === false ? fc.constant<SignatureKind>('missing') : signature;

  // Twilio's encoding: a form, with fields repeated or extra, raw fragments and odd Content-Types.
  const form = fc
    .record({
      fields,
      // `request` is the one name the runtime itself uses: a field so named replaces its request
      // object (headers included, so the signature header is no longer seen).
      extra: fc.dictionary(fc.oneof({ weight: 6, arbitrary: text(12) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'request', 'Media[]') }), text(), { maxKeys: 3 }),
      repeats: fc.array(fc.nat(), { maxLength: 3 }),
      fragments: fc.array(rawFragment, { maxLength: 2 }),
      contentType: fc.oneof(
        { weight: 8, arbitrary: fc.constant(FORM) },
        { weight: 1, arbitrary: fc.constantFrom(`${FORM}; charset=utf-8`, 'APPLICATION/X-WWW-FORM-URLENCODED', `${FORM}; charset=latin1`) },
      ),
    })
    .map(({ fields: f, extra, repeats, fragments, contentType }) => {
      const entries = Object.entries({ ...f, ...extra }) as [string, string][];
      const parts: FormPart[] = entries.map(([key, value]) => ({ key, value }));
      for (const r of repeats) if (entries.length > 0) parts.push({ key: entries[r % entries.length]![0], value: 'again' });
      parts.push(...fragments.map((raw) => ({ raw })));
      return {
        contentType,
        body: Buffer.from(formBody(parts), 'utf8'),
        runtimeMayRefuse: /charset=latin1/.test(contentType) ? 'a charset the body parser does not take' : undefined,
        signedExactly: !/charset=latin1/.test(contentType) && !Object.hasOwn(extra, 'request'),
      };
    });

  // A JSON body: the runtime parses it into the event, so values may be numbers, arrays, objects.
  const json = fc
    .record({ fields, odd: fc.dictionary(fc.constantFrom('Media', 'Body', 'EventType', 'ConversationSid', 'Attributes', 'Size'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 2 }) })
    .map(({ fields: f, odd }) => ({
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify({ ...f, ...odd }), 'utf8'),
      runtimeMayRefuse: undefined,
      signedExactly: Object.values(odd).every((v) => typeof v === 'string'),
    }));

  const strange = fc.oneof(
    fc.constant({ contentType: 'application/json', body: Buffer.from('{"EventType": "onMessageAdd", "Body": '), runtimeMayRefuse: 'broken JSON' }),
    fc.constant({ contentType: 'application/json', body: Buffer.from('"onMessageAdd"'), runtimeMayRefuse: 'JSON that is not an object' }),
    fc.constant({ contentType: 'application/json', body: Buffer.from(nested(5000, '[', ']')), runtimeMayRefuse: undefined }),
    fc.constantFrom(FORM, 'application/json', 'text/plain', undefined).map((contentType) => ({ contentType, body: Buffer.alloc(0), runtimeMayRefuse: undefined })),
    fc.string({ maxLength: 200 }).map((s) => ({
      contentType: 'multipart/form-data; boundary=XyZ',
      body: Buffer.from(`--XyZ\r\nContent-Disposition: form-data; name="EventType"\r\n\r\nonMessageAdd\r\n--XyZ\r\n${s}`),
      runtimeMayRefuse: undefined,
    })),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ contentType: FORM, body: Buffer.from(bytes), runtimeMayRefuse: undefined })),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ contentType: 'text/plain; charset=utf-8', body: Buffer.from(bytes), runtimeMayRefuse: undefined })),
    fields.map((f) => ({ contentType: undefined, body: Buffer.from(new URLSearchParams(f as Record<string, string>).toString()), runtimeMayRefuse: undefined })),
  );

  const encoded = fc.oneof({ weight: 14, arbitrary: form }, { weight: 3, arbitrary: json }, { weight: 2, arbitrary: strange });
  return fc.record({ path, encoded, signature: sig }).map(({ path: p, encoded: e, signature: s }) => ({
    path: p,
    signature: s,
    ...e,
    signedExactly: s === 'valid' && !p.includes('?') && 'signedExactly' in e && e.signedExactly,
  }));
}

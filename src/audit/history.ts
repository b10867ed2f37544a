import { createHmac } from 'node:crypto';
import { attributesShapeOf, shapeOf, type AttributesShape, type TextShape } from './shape';

/**
 * One conversation's history as the audit keeps it: what the rules need to judge it again, and
 * nothing else. Bodies are kept as their measures ({@link TextShape}), attributes as their size;
 * names as their length. Identities and addresses are kept as stand-ins ({@link StandIns}) unless
 * the operator keeps them: what rate rules count by and what participants are matched on. Media keep type, file name and size, never a URL.
 */
export interface SavedConversation {
  kind: 'conversation';
  sid: string;
  serviceSid: string;
  dateCreated: string;
  state: string;
  friendlyNameChars: number;
  uniqueNameChars: number;
  attributes: AttributesShape;
  participants: SavedParticipant[];
  messages: SavedMessage[];
}

export interface SavedParticipant {
  sid: string;
  identity?: string;
  bindingType?: string;
  address?: string;
  proxyAddress?: string;
  projectedAddress?: string;
  attributes: AttributesShape;
  dateCreated: string;
}

export interface SavedMessage {
  sid: string;
  index: number;
  author: string;
  participantSid?: string;
  dateCreated: string;
  body: TextShape;
  attributes: AttributesShape;
  media: Array<{ contentType?: string; filename?: string; size?: number }>;
}

/**
 * How many conversations of a service an identity is in now, whatever their state, counted up to one
 * past the cap (ParticipantConversations): an identity within the cap cannot have broken it.
 */
export interface SavedIdentity {
  kind: 'identity';
  service: string;
  identity: string;
  conversations: number;
}

/** The first line of a saved history: what was read, so a replay reports the same window. */
export interface SavedHeader {
  kind: 'audit-history';
  version: 1;
  window: { from: string; to: string };
  service: string;
  /** Identities and addresses are stand-ins ({@link StandIns}) made with the key in `<file>.key`. */
  masked?: boolean;
}

type Json = Record<string, unknown>;
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** A conversation as the API lists it, with its participants and messages as the API lists them. */
export function savedConversation(c: Json, participants: Json[], messages: Json[]): SavedConversation {
  return savedConversationOf(c, participants.map(savedParticipant), messages.map(savedMessage));
}

/** A conversation as the API lists it, with its participants and messages already kept as saved. */
export function savedConversationOf(c: Json, participants: SavedParticipant[], messages: SavedMessage[]): SavedConversation {
  return {
    kind: 'conversation',
    sid: String(c.sid),
    serviceSid: String(c.chat_service_sid),
    dateCreated: String(c.date_created),
    state: String(c.state ?? 'active'),
    friendlyNameChars: String(c.friendly_name ?? '').length,
    uniqueNameChars: String(c.unique_name ?? '').length,
    attributes: attributesShapeOf(c.attributes as string | null),
    participants,
    messages,
  };
}

export function savedParticipant(p: Json): SavedParticipant {
  const binding = (p.messaging_binding ?? {}) as Json;
  return {
    sid: String(p.sid),
    ...(str(p.identity) && { identity: str(p.identity) }),
    ...(str(binding.type) && { bindingType: str(binding.type) }),
    ...(str(binding.address) && { address: str(binding.address) }),
    ...(str(binding.proxy_address) && { proxyAddress: str(binding.proxy_address) }),
    ...(str(binding.projected_address) && { projectedAddress: str(binding.projected_address) }),
    attributes: attributesShapeOf(p.attributes as string | null),
    dateCreated: String(p.date_created),
  };
}

export function savedMessage(m: Json): SavedMessage {
  const media = Array.isArray(m.media) ? (m.media as Json[]) : [];
  return {
    sid: String(m.sid),
    index: Number(m.index),
    author: String(m.author ?? ''),
    ...(str(m.participant_sid) && { participantSid: str(m.participant_sid) }),
    dateCreated: String(m.date_created),
    body: shapeOf(String(m.body ?? '')),
    attributes: attributesShapeOf(m.attributes as string | null),
    media: media.map((f) => ({
      ...(str(f.content_type) && { contentType: str(f.content_type) }),
      ...(str(f.filename) && { filename: str(f.filename) }),
      ...(typeof f.size === 'number' && { size: f.size }),
    })),
  };
}

/** A line of a saved file that is not the audit's: the sentence names the line. */
export class SavedFileError extends Error {}

export function parseSavedLine(line: string, lineNumber: number, file: string): SavedHeader | SavedConversation | SavedIdentity {
  const bad = (why: string) => new SavedFileError(`${file}:${lineNumber} is not a line of an audit history (${why}); give --save or --replay a file written by --save.`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw bad('not JSON');
  }
  const v = value as Json;
  if (lineNumber === 1) {
    const window = v?.window as Json | undefined;
    if (v?.kind !== 'audit-history' || v.version !== 1 || typeof window?.from !== 'string' || typeof window?.to !== 'string' || typeof v.service !== 'string') throw bad('no audit-history header');
    return v as unknown as SavedHeader;
  }
  if (v?.kind === 'identity') {
    if (typeof v.service !== 'string' || typeof v.identity !== 'string' || typeof v.conversations !== 'number') throw bad('not a saved identity count');
    return v as unknown as SavedIdentity;
  }
  if (v?.kind !== 'conversation' || typeof v.sid !== 'string' || !Array.isArray(v.participants) || !Array.isArray(v.messages) || typeof v.dateCreated !== 'string') throw bad('not a saved conversation');
  return v as unknown as SavedConversation;
}

/**
 * Stand-ins for identities, addresses and authors in a saved history: each value replaced by one
 * derived from HMAC-SHA256 under a key kept beside the file, character for character (a digit by a
 * digit, an ASCII letter by one of the same case, another letter or digit by one as long in UTF-16
 * and UTF-8, anything else as it is) after a channel prefix
 * (`whatsapp:`, `messenger:`, …) kept as written. A phone number stays `+` and as many digits, an
 * e-mail address stays `local@domain` with the same dots, an identity keeps its length: channel,
 * group MMS, member matching, identity length and rate keys judge the stand-in as they judged the
 * value, and one value has one stand-in under one key.
 */
export class StandIns {
  private readonly raw = new Map<string, string>();
  /** Stand-ins found to stand for two values or more in this run. */
  private readonly sharedBy = new Set<string>();
  constructor(private readonly key: Buffer) {}

  /**
   * How many stand-ins stand for more than one of the values met in this run. Two values of the same
   * shape (same length, digits and letters in the same places) can draw the same characters: likely
   * only among many short values (`bob`, `amy`: 17,576 stand-ins for every 3-letter lower-case name).
   */
  get shared(): number {
    return this.sharedBy.size;
  }

  of(value: string): string {
    // Channel prefixes stay as written, the value's own and those of a list's items (`a,whatsapp:+1…`).
    const kept = new Set<number>();
    for (const m of value.matchAll(/(?<=^|[\s,"[])[a-z]+:/gi)) for (let i = 0; i < m[0].length; i += 1) kept.add(m.index + i);
    const chars = [...value];
    const bytes: number[] = [];
    for (let block = 0; bytes.length < chars.length; block += 1) bytes.push(...createHmac('sha256', this.key).update(`${block}\u0000${value}`).digest());
    const out = chars.map((ch, i) => {
      const b = bytes[i]!;
      if (kept.has(i)) return ch;
      if (/[0-9]/.test(ch)) return String(b % 10);
      if (/[a-z]/.test(ch)) return String.fromCharCode(97 + (b % 26));
      if (/[A-Z]/.test(ch)) return String.fromCharCode(65 + (b % 26));
      // Any other letter or digit by one as long in UTF-16 and in UTF-8.
      if (!/[\p{L}\p{N}]/u.test(ch)) return ch;
      const bytes_ = Buffer.byteLength(ch);
      return bytes_ === 2 ? String.fromCharCode(0x430 + (b % 32)) : bytes_ === 3 ? String.fromCharCode(0x4e00 + b) : String.fromCodePoint(0x20000 + b);
    }).join('');
    const earlier = this.raw.get(out);
    if (earlier !== undefined && earlier !== value) this.sharedBy.add(out);
    this.raw.set(out, value);
    return out;
  }

  /** The value a stand-in was made from in this run, if it was. */
  rawOf(standIn: string): string | undefined {
    return this.raw.get(standIn);
  }
}

export function maskedConversation(c: SavedConversation, s: StandIns): SavedConversation {
  const opt = (v: string | undefined) => (v === undefined ? undefined : s.of(v));
  return {
    ...c,
    participants: c.participants.map((p) => ({
      ...p,
      ...(p.identity !== undefined && { identity: opt(p.identity) }),
      ...(p.address !== undefined && { address: opt(p.address) }),
      ...(p.proxyAddress !== undefined && { proxyAddress: opt(p.proxyAddress) }),
      ...(p.projectedAddress !== undefined && { projectedAddress: opt(p.projectedAddress) }),
    })),
    messages: c.messages.map((m) => ({ ...m, author: m.author === '' ? '' : s.of(m.author) })),
  };
}

/** Media items as Twilio's webhook sends them, with the content type each extension is sent with. */
import type { MediaItem } from '../../src/guard/event/types';

/**
 * The registered MIME type of each extension the attachment tables name, written out here rather
 * than taken from the guard's own table, so a wrong entry there shows up as a failing test.
 */
export const MIME: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  heic: 'image/heic',
  amr: 'audio/amr',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  pdf: 'application/pdf',
  txt: 'text/plain',
  oga: 'audio/ogg',
};

let counter = 0;

/** A typed media item, as the rules receive it. */
export function file(extension: string, size: number): MediaItem {
  counter += 1;
  const contentType = MIME[extension];
  if (!contentType) throw new Error(`no MIME type for .${extension}`);
  return { sid: `ME${String(counter).padStart(32, '0')}`, filename: `file-${counter}.${extension}`, contentType, size };
}

/** `count` files of `extension`, each `size` bytes. */
export const files = (count: number, extension: string, size: number) => Array.from({ length: count }, () => file(extension, size));

/** The webhook's `Media` value: a JSON string with Twilio's PascalCase keys. */
export function mediaField(items: readonly MediaItem[]): string {
  return JSON.stringify(items.map((m) => ({ Sid: m.sid, Filename: m.filename, ContentType: m.contentType, Size: m.size })));
}

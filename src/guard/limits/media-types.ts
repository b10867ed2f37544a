/**
 * The content types each accepted file extension may carry. Twilio's tables list extensions; a
 * webhook's Media item is judged by its content type through this table, or by its extension when it
 * has no content type.
 */
export const CONTENT_TYPES_BY_EXTENSION: Readonly<Record<string, readonly string[]>> = {
  jpg: ['image/jpeg', 'image/jpg', 'image/pjpeg'],
  jpeg: ['image/jpeg', 'image/jpg', 'image/pjpeg'],
  png: ['image/png'],
  gif: ['image/gif'],
  heic: ['image/heic', 'image/heif'],
  amr: ['audio/amr'],
  mp3: ['audio/mpeg', 'audio/mp3', 'audio/mpeg3'],
  mp4: ['video/mp4', 'audio/mp4'],
  pdf: ['application/pdf'],
  txt: ['text/plain'],
  oga: ['audio/ogg'],
};

/** Extensions the tables name differently: an Ogg Opus voice note is saved as `.ogg`, listed as `oga`. */
const EXTENSION_ALIASES: Readonly<Record<string, string>> = { ogg: 'oga' };

export const extensionAlias = (extension: string) => EXTENSION_ALIASES[extension] ?? extension;

/** Extension of a filename, lower-cased, without the dot; '' when it has none. */
export function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot <= 0 || dot === filename.length - 1 ? '' : filename.slice(dot + 1).toLowerCase();
}

/** Whether a content type (parameters such as `; charset=` ignored) belongs to an accepted extension. */
export function contentTypeAccepted(contentType: string, extensions: readonly string[]): boolean {
  const bare = contentType.split(';')[0]!.trim().toLowerCase();
  return extensions.some((ext) => CONTENT_TYPES_BY_EXTENSION[ext]?.includes(bare));
}

import type { VariableName } from '../config/variables';
import type { MediaItem } from '../event/types';
import type { Channel } from '../limits/channels';
import { contentTypeAccepted, extensionAlias, extensionOf } from '../limits/media-types';
import { firstViolation, overLimit, type Violation } from './violation';

/** What one channel accepts in one message, with the variable behind each number. */
export interface MediaProfile {
  channel: Channel;
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
  extensions: readonly string[] | '*';
  variables: { files: VariableName; fileBytes: VariableName; totalBytes: VariableName; extensions: VariableName };
}

/**
 * Checks a message's files against a channel profile. `codePrefix` keeps ids stable per context
 * (`message.media` for the author's channel, `message.fanout.sms.media` for a recipient channel);
 * `by` names who imposes the limit ("WhatsApp", "a chat message").
 */
export function checkMedia(media: readonly MediaItem[], profile: MediaProfile, codePrefix: string, by: string): Violation | undefined {
  if (media.length === 0) return undefined;
  const { channel, variables } = profile;
  return firstViolation([
    () => overLimit({ code: `${codePrefix}.count`, variable: variables.files, channel, what: 'The number of files', unit: 'files', actual: media.length, limit: profile.maxFiles, by }),
    ...media.map((item) => () => unacceptedType(item, profile, codePrefix, by)),
    ...media.map((item) => () => overLimit({ code: `${codePrefix}.file-size`, variable: variables.fileBytes, channel, what: `The file ${describe(item)}`, unit: 'bytes', actual: sizeOf(item), limit: profile.maxFileBytes, by })),
    () => overLimit({ code: `${codePrefix}.total-size`, variable: variables.totalBytes, channel, what: 'The total size of the files', unit: 'bytes', actual: totalBytes(media), limit: profile.maxTotalBytes, by }),
  ]);
}

/** A file's bytes; one without a Size counts as 0, so only its count and type are judged. */
export const sizeOf = (item: MediaItem) => item.size ?? 0;

export function totalBytes(media: readonly MediaItem[]): number {
  return media.reduce((sum, item) => sum + sizeOf(item), 0);
}

/**
 * A file's type is judged by its content type when it has one (parameters such as `; codecs=opus`
 * ignored: a WhatsApp voice note is `audio/ogg`, the table's `oga`, whatever its filename), and by its
 * extension only otherwise. A file with neither says nothing acceptable about itself.
 */
function unacceptedType(item: MediaItem, profile: MediaProfile, codePrefix: string, by: string): Violation | undefined {
  if (profile.extensions === '*') return undefined;
  const extension = item.filename ? extensionOf(item.filename) : '';
  const accepted = item.contentType ? contentTypeAccepted(item.contentType, profile.extensions) : extension !== '' && profile.extensions.includes(extensionAlias(extension));
  if (accepted) return undefined;
  return {
    code: `${codePrefix}.type`,
    message: `The file ${describe(item)} is not a type ${by} accepts (${profile.extensions.join(', ')}).`,
    limit: 0,
    actual: 1,
    accepted: profile.extensions,
    variable: profile.variables.extensions,
    channel: profile.channel,
  };
}

function describe(item: MediaItem): string {
  const name = item.filename ? `"${item.filename}"` : item.sid ?? 'without a name';
  return item.contentType ? `${name} (${item.contentType})` : name;
}

import type { MediaItem, MessageAdd } from '../event/types';
import type { Channel } from '../limits/channels';
import { utf8Bytes } from '../text/measure';
import { checkMedia, sizeOf, totalBytes } from './media';
import type { MessageSettings } from './message-settings';
import { authorMediaProfile, channelName } from './profiles';
import { firstViolation, overLimit, type Violation } from './violation';

/** The parts of a message the payload rules judge; also the first message of a new conversation. */
export interface MessagePayload {
  body: string;
  attributes?: string;
  media: readonly MediaItem[];
  authorChannel: Channel;
}

const isImage = (item: MediaItem) =>
  item.contentType?.toLowerCase().startsWith('image/') || /\.(jpe?g|png|gif|heic)$/i.test(item.filename ?? '');

/** Limits a message breaks whoever receives it: body and attributes size, the author channel's attachment row, email size, the Flex switches. */
export function checkMessagePayload(message: MessagePayload, settings: MessageSettings): Violation | undefined {
  const { body, media, authorChannel: channel } = message;
  const by = `a message from ${channelName(channel)}`;
  return firstViolation([
    () => overLimit({ code: 'message.body.bytes', variable: 'MAX_CHAT_BODY_BYTES', what: 'The message body', unit: 'bytes (UTF-8)', actual: utf8Bytes(body), limit: settings.MAX_CHAT_BODY_BYTES }),
    () => overLimit({ code: 'message.attributes.bytes', variable: 'MAX_MESSAGE_ATTRIBUTES_BYTES', what: 'The message Attributes', unit: 'bytes', actual: utf8Bytes(message.attributes ?? ''), limit: settings.MAX_MESSAGE_ATTRIBUTES_BYTES }),
    () => (settings.FLEX_ONE_ATTACHMENT_PER_MESSAGE ? overLimit({ code: 'message.media.flex-one-per-message', variable: 'FLEX_ONE_ATTACHMENT_PER_MESSAGE', what: 'The number of files', unit: 'files', actual: media.length, limit: 1, by: 'Flex' }) : undefined),
    () => (settings.FLEX_NO_TEXT_WITH_IMAGE && body.trim() !== '' && media.some(isImage) ? textWithImage() : undefined),
    () => checkMedia(media, authorMediaProfile(settings, channel), 'message.media', by),
    () => (channel === 'web' ? checkChatMediaCeiling(media, settings) : undefined),
    () => (channel === 'email' ? overLimit({ code: 'message.email.bytes', variable: 'MAX_EMAIL_BYTES', channel, what: 'The email (body and attachments)', unit: 'bytes', actual: utf8Bytes(body) + totalBytes(media), limit: settings.MAX_EMAIL_BYTES, by: 'Flex email' }) : undefined),
  ]);
}

export function checkMessageAdd(event: MessageAdd, settings: MessageSettings): Violation | undefined {
  return checkMessagePayload(event, settings);
}

function checkChatMediaCeiling(media: readonly MediaItem[], settings: MessageSettings): Violation | undefined {
  return firstViolation(
    media.map((item) => () =>
      overLimit({ code: 'message.media.chat-file-size', variable: 'MAX_CHAT_MEDIA_BYTES', channel: 'web', what: `The file ${item.filename ? `"${item.filename}"` : item.sid ?? ''}`.trimEnd(), unit: 'bytes', actual: sizeOf(item), limit: settings.MAX_CHAT_MEDIA_BYTES, by: 'Conversations chat media' }),
    ),
  );
}

function textWithImage(): Violation {
  return {
    code: 'message.text-with-image',
    message: 'The message has both text and an image; Flex Conversations cannot send both in one message.',
    limit: 0,
    actual: 1,
    variable: 'FLEX_NO_TEXT_WITH_IMAGE',
  };
}

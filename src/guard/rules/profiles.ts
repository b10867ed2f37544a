import type { Channel } from '../limits/channels';
import type { MediaProfile } from './media';
import type { AttachmentVariable, MessageSettings } from './message-settings';

/** The attachment-table row for messages authored on `channel`. */
export function authorMediaProfile(settings: MessageSettings, channel: Channel): MediaProfile {
  const prefix = `ATTACHMENTS_${channel.toUpperCase()}` as const;
  const name = (suffix: string) => `${prefix}_${suffix}` as AttachmentVariable;
  const variables = { files: name('MAX_FILES'), fileBytes: name('MAX_FILE_BYTES'), totalBytes: name('MAX_TOTAL_BYTES'), extensions: name('EXTENSIONS') };
  return {
    channel,
    maxFiles: settings[variables.files] as number,
    maxFileBytes: settings[variables.fileBytes] as number,
    maxTotalBytes: settings[variables.totalBytes] as number,
    extensions: settings[variables.extensions] as MediaProfile['extensions'],
    variables,
  };
}

/**
 * What a participant on `channel` can receive. SMS and WhatsApp follow the Conversations media
 * limits (MMS: 10 files, 2 MB each, 5 MB in all; WhatsApp: one file up to 16 MB); other non-chat
 * channels follow their attachment-table row.
 */
export function recipientMediaProfile(settings: MessageSettings, channel: Channel): MediaProfile {
  switch (channel) {
    case 'sms':
      return {
        channel,
        maxFiles: settings.MMS_MAX_FILES,
        maxFileBytes: settings.MMS_MAX_FILE_BYTES,
        maxTotalBytes: settings.MMS_MAX_TOTAL_BYTES,
        extensions: settings.MMS_EXTENSIONS,
        variables: { files: 'MMS_MAX_FILES', fileBytes: 'MMS_MAX_FILE_BYTES', totalBytes: 'MMS_MAX_TOTAL_BYTES', extensions: 'MMS_EXTENSIONS' },
      };
    case 'whatsapp':
      return {
        channel,
        maxFiles: settings.WHATSAPP_MAX_FILES,
        maxFileBytes: settings.WHATSAPP_MAX_FILE_BYTES,
        // One file per message: the per-file cap is the message cap.
        maxTotalBytes: settings.WHATSAPP_MAX_FILES * settings.WHATSAPP_MAX_FILE_BYTES,
        extensions: settings.WHATSAPP_EXTENSIONS,
        variables: { files: 'WHATSAPP_MAX_FILES', fileBytes: 'WHATSAPP_MAX_FILE_BYTES', totalBytes: 'WHATSAPP_MAX_FILE_BYTES', extensions: 'WHATSAPP_EXTENSIONS' },
      };
    default:
      return authorMediaProfile(settings, channel);
  }
}

const CHANNEL_NAMES: Record<Channel, string> = {
  web: 'chat',
  sms: 'SMS',
  whatsapp: 'WhatsApp',
  email: 'email',
  messenger: 'Messenger',
  gbm: 'Google Business Messages',
};

export const channelName = (channel: Channel) => CHANNEL_NAMES[channel];

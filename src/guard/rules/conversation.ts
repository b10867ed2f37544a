import type { Settings } from '../config/variables';
import type { ConversationAdd } from '../event/types';
import { utf16Length, utf8Bytes } from '../text/measure';
import { firstViolation, overLimit, type Violation } from './violation';

/** Field lengths of a conversation being created (its first message is judged as content). */
export function checkConversationFields(event: ConversationAdd, settings: Settings): Violation | undefined {
  return firstViolation([
    () => overLimit({ code: 'conversation.friendly-name.length', variable: 'MAX_FRIENDLY_NAME_CHARS', what: 'The conversation FriendlyName', unit: 'characters', actual: utf16Length(event.friendlyName), limit: settings.MAX_FRIENDLY_NAME_CHARS }),
    () => overLimit({ code: 'conversation.unique-name.length', variable: 'MAX_UNIQUE_NAME_CHARS', what: 'The conversation UniqueName', unit: 'characters', actual: utf16Length(event.uniqueName), limit: settings.MAX_UNIQUE_NAME_CHARS }),
    () => overLimit({ code: 'conversation.attributes.bytes', variable: 'MAX_CONVERSATION_ATTRIBUTES_BYTES', what: 'The conversation Attributes', unit: 'bytes', actual: utf8Bytes(event.attributes), limit: settings.MAX_CONVERSATION_ATTRIBUTES_BYTES }),
  ]);
}

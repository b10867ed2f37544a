import type { Settings } from '../config/variables';
import type { PreEvent } from '../event/types';
import { checkConversationAdd } from './conversation';
import { checkMessageAdd } from './message';
import { checkParticipantAdd } from './participant';
import type { Violation } from './violation';

/** Every rule that needs nothing but the webhook request: no remote request is made for them. */
export function checkPayload(event: PreEvent, settings: Settings): Violation | undefined {
  switch (event.type) {
    case 'onMessageAdd':
      return checkMessageAdd(event, settings);
    case 'onParticipantAdd':
      return checkParticipantAdd(event, settings);
    case 'onConversationAdd':
      return checkConversationAdd(event, settings);
  }
}

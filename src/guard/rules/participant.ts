import type { Settings } from '../config/variables';
import type { ParticipantAdd } from '../event/types';
import { utf16Length, utf8Bytes } from '../text/measure';
import { firstViolation, overLimit, type Violation } from './violation';

/** Field lengths of a participant being added. */
export function checkParticipantAdd(event: ParticipantAdd, settings: Settings): Violation | undefined {
  const chars = (code: string, variable: 'MAX_IDENTITY_CHARS' | 'MAX_ADDRESS_CHARS', what: string, value: string | undefined) => () =>
    overLimit({ code, variable, what, unit: 'characters', actual: utf16Length(value ?? ''), limit: settings[variable] });
  return firstViolation([
    chars('participant.identity.length', 'MAX_IDENTITY_CHARS', 'The participant Identity', event.identity),
    chars('participant.address.length', 'MAX_ADDRESS_CHARS', 'MessagingBinding.Address', event.address),
    chars('participant.proxy-address.length', 'MAX_ADDRESS_CHARS', 'MessagingBinding.ProxyAddress', event.proxyAddress),
    () => overLimit({ code: 'participant.attributes.bytes', variable: 'MAX_PARTICIPANT_ATTRIBUTES_BYTES', what: 'The participant Attributes', unit: 'bytes', actual: utf8Bytes(event.attributes), limit: settings.MAX_PARTICIPANT_ATTRIBUTES_BYTES }),
  ]);
}

/** The Twilio pages the defaults come from. */
export const SOURCES = {
  conversationsLimits: 'https://www.twilio.com/docs/conversations/conversations-limits',
  flexLimits: 'https://www.twilio.com/docs/flex/developer/conversations/limits',
  flexAttachments: 'Twilio docs: Flex "Messaging Attachments" (one file per message)',
  flexEmail: 'Twilio docs: "Email in Flex limitations"',
  webhooks: 'https://www.twilio.com/docs/conversations/conversations-webhooks',
  sync: 'https://www.twilio.com/docs/sync/limits',
} as const;

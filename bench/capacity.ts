import { handlePostEvent } from '../src/guard/post-event';
import { parseWindow } from '../src/guard/rate/window';
import { BUCKETS, SlotRateLimiter, slotsId } from '../src/guard/rate/slot-limiter';
import { groupParts } from '../src/guard/store/slot-store';
import { SyncDocumentStore } from '../src/guard/store/sync-document-store';
import { twilioClientFor } from '../src/guard/twilio/client';
import type { EmulatorProcess } from './emulator-process';
import { guardInstance, percentile } from './guard-instance';
import { roundTrips } from './round-trips';
import { conversation, message, participant, participantAdded, photo, seedConversation, seedIdentity, SERVICE } from './scenarios';

/** Twilio's published cap on Function executions at once, per account (docs/performance.md, "Capacity"). */
export const CONCURRENT_EXECUTIONS = 30;

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const sid = (n: number) => `CH${n.toString(16).padStart(32, '0')}`;
const RATE_RULE = { RATE_LIMIT_ACTIONS_PER_CONVERSATION: '30/1m' };

const smsJoin = (conversationSid: string, n: number) => ({
  EventType: 'onParticipantAdd',
  ChatServiceSid: SERVICE,
  ConversationSid: conversationSid,
  Attributes: '{}',
  Source: 'API',
  'MessagingBinding.Type': 'sms',
  'MessagingBinding.Address': `+1555${String(9_000_000 + n).padStart(7, '0')}`,
  'MessagingBinding.ProxyAddress': '+15550000000',
});

/** A message from the conversation's first SMS participant (seedConversation's addresses). */
const inbound = (conversationSid: string, body: string) =>
  message(conversationSid, { Author: '+15550000000', Source: 'SMS', Body: body });

interface Kind {
  name: string;
  /** Made once per sample; each call must be a decision of the same kind. */
  run: (i: number) => Promise<{ ms: number; outcome?: string }>;
  /** Untimed, just before the kind's samples: state that must not age while other kinds run. */
  prepare?: () => Promise<unknown>;
}

/**
 * The execution time of each kind of decision, one after another on a warm instance, at `latencyMs`
 * per remote request: p50, p99 and mean, the remote requests and round trips of a decision, and what
 * Little's law makes of them under Twilio's cap of 30 executions at once (before Twilio's own overhead
 * per execution, which only a deployed function shows).
 */
export async function capacity(emulator: EmulatorProcess, latencyMs: number): Promise<void> {
  const samples = Number(process.env.BENCH_SAMPLES ?? 30);
  await emulator.reset();
  const defaults = guardInstance(emulator.url, {}, { separate: true });
  const ignoring = guardInstance(emulator.url, { INBOUND_POLICY: 'ignore' }, { separate: true });
  const rated = guardInstance(emulator.url, { ...RATE_RULE, STATUS_COUNTERS: 'off', REJECTION_LOG: 'off' }, { separate: true });

  const postEnv = { TWILIO_API_BASE_URL: emulator.url, SIGNATURE_CHECK: 'off' };
  const postClient = twilioClientFor(postEnv, emulator.url);
  const deps = { log: () => undefined, client: () => postClient, store: () => new SyncDocumentStore(postClient, 'default') };
  const post = async (event: Record<string, string>) => {
    const started = performance.now();
    await handlePostEvent({ event: { ChatServiceSid: SERVICE, ...event }, env: postEnv, path: '/conversations/post-event' }, deps);
    return { ms: performance.now() - started };
  };
  const small = await seedConversation(emulator, 8, 2);
  const smalls = await Promise.all(Array.from({ length: samples + 1 }, () => seedConversation(emulator, 8, 2)));
  const indexed1000 = await seedConversation(emulator, 990, 10);
  await participantAdded(emulator, indexed1000);
  // An identity per kind that keeps a tally, so no kind finds a join another one recorded.
  for (const identity of ['agent-600', 'rated-600', 'post-600']) await seedIdentity(emulator, identity, 600);
  await seedIdentity(emulator, 'agent-970', 970);
  // Tallies kept as on a configured account: each identity's first join builds its tally, and the
  // post-event that follows it (untimed).
  for (const identity of ['agent-600', 'agent-970', 'rated-600', 'post-600']) {
    await (identity === 'rated-600' ? rated : defaults).decide(participant(small, identity));
    await post({ EventType: 'onParticipantAdded', ConversationSid: small, Identity: identity, ParticipantSid: `MB${'0'.repeat(32)}` });
  }

  // The rule's bucket Maps, all made first by other conversations' first actions (untimed), as on an
  // account where the rule has been on for a while: a new conversation's first action finds its Map.
  const window = parseWindow(RATE_RULE.RATE_LIMIT_ACTIONS_PER_CONVERSATION)!;
  const mapOf = (conversationSid: string) => groupParts(SlotRateLimiter.groupOf(slotsId('actions-per-conversation', window, conversationSid), window, 0)).map;
  const made = new Set<string>();
  for (let n = 1; n < 1_000 && made.size < BUCKETS; n++) {
    if (made.has(mapOf(sid(n)))) continue;
    await rated.decide(message(sid(n)));
    made.add(mapOf(sid(n)));
  }
  const fresh: string[] = [];
  for (let n = 1_000; fresh.length <= samples; n++) if (made.has(mapOf(sid(n)))) fresh.push(sid(n));
  const known = Array.from({ length: samples + 1 }, (_, i) => sid(100_000 + i));
  for (const key of known) await rated.decide(message(key));
  const full = sid(200_000);

  const smsBody = 'x'.repeat(2000);
  const groups: Array<[string, Kind[]]> = [
    [
      'payload only (default settings: no rate rule, no remote request)',
      [
        { name: 'onMessageAdd, short text (allowed)', run: () => defaults.decide(message(small)) },
        { name: 'onMessageAdd, one photo (allowed)', run: () => defaults.decide(message(small, { Media: photo })) },
        { name: 'onMessageAdd, 33 KB body (rejected; counters flushed at most every 10 s)', run: () => defaults.decide(message(small, { Body: 'x'.repeat(33 * 1024) })) },
        { name: 'onConversationAdd', run: (i) => defaults.decide(conversation(i)) },
      ],
    ],
    [
      'remote state, default settings',
      [
        { name: 'onMessageAdd, 2,000 characters to SMS participants (the list read; rejected)', run: () => defaults.decide(message(small, { Body: smsBody })) },
        { name: 'onMessageAdd from SMS, 2,000 characters, `INBOUND_POLICY=annotate` (the list read; annotated)', run: () => defaults.decide(inbound(small, smsBody)) },
        { name: 'the same message, `INBOUND_POLICY=ignore` (no list read; let through untouched)', run: () => ignoring.decide(inbound(small, smsBody)) },
        { name: 'onParticipantAdd, SMS, 10 participants (the list read)', run: (i) => defaults.decide(smsJoin(smalls[i]!, i)) },
        { name: 'onParticipantAdd, chat, 10 participants, identity in 600, tally kept', run: (i) => defaults.decide(participant(smalls[i]!, 'agent-600')) },
        { name: 'onParticipantAdd, chat, 10 participants, new identity (tally built)', run: (i) => defaults.decide(participant(smalls[i]!, `newcomer-${i}`)) },
        { name: 'onParticipantAdd, chat, 1000 participants, page index kept (rejected)', run: (i) => defaults.decide(participant(indexed1000, `joiner-${i}`)) },
        { name: 'onParticipantAdd, chat, identity in 970 (within 50 of its cap: counted exactly)', run: (i) => defaults.decide(participant(smalls[i]!, 'agent-970')) },
      ],
    ],
    [
      'rate rule on (`RATE_LIMIT_ACTIONS_PER_CONVERSATION=30/1m`)',
      [
        { name: "onMessageAdd, a key's first action (its bucket Map there)", run: (i) => rated.decide(message(fresh[i]!)) },
        { name: 'onMessageAdd, a key the instance knows free', run: (i) => rated.decide(message(known[i]!)) },
        {
          name: 'onMessageAdd, a key the instance knows full (refused)',
          run: () => rated.decide(message(full)),
          // Its 30 slots taken just before, so none frees during the samples (`30/1m`).
          prepare: async () => {
            for (let i = 0; i < 30; i++) await rated.decide(message(full));
          },
        },
        { name: 'onParticipantAdd, chat, 10 participants, identity in 600, tally kept', run: (i) => rated.decide(participant(smalls[i]!, 'rated-600')) },
      ],
    ],
    [
      'post-event function (every participant added or removed runs it too)',
      [
        { name: 'onParticipantAdded, chat, 10 participants, tally kept', run: (i) => post({ EventType: 'onParticipantAdded', ConversationSid: smalls[i]!, Identity: 'post-600', ParticipantSid: `MB${'1'.repeat(32)}` }) },
        { name: 'onParticipantAdded, chat, identity in 970 (counted exactly)', run: (i) => post({ EventType: 'onParticipantAdded', ConversationSid: smalls[i]!, Identity: 'agent-970', ParticipantSid: `MB${'3'.repeat(32)}` }) },
        { name: 'onParticipantAdded, SMS, 10 participants', run: (i) => post({ EventType: 'onParticipantAdded', ConversationSid: smalls[i]!, ParticipantSid: `MB${'4'.repeat(32)}`, 'MessagingBinding.Address': '+15550009997' }) },
        { name: 'onParticipantAdded, SMS, 1000 participants (page index walked)', run: () => post({ EventType: 'onParticipantAdded', ConversationSid: indexed1000, ParticipantSid: `MB${'2'.repeat(32)}`, 'MessagingBinding.Address': '+15550009998' }) },
        { name: 'onParticipantRemoved, chat, 10 participants', run: (i) => post({ EventType: 'onParticipantRemoved', ConversationSid: smalls[i]!, Identity: 'post-600', ParticipantSid: `MB${'1'.repeat(32)}` }) },
      ],
    ],
  ];

  console.log(`## Capacity: execution time per kind of decision (${samples} one after another on a warm instance, ${latencyMs} ms per remote request)\n`);
  console.log(`Ceilings by Little's law: ${CONCURRENT_EXECUTIONS} executions at once ÷ execution time, plus Twilio's own overhead per execution (unknown here: +20 ms and +100 ms shown).\n`);
  console.log('| decision | outcome | remote requests | round trips | p50 ms | p99 ms | mean ms | ceiling/s at p50 | at p50 + 20 ms | at p50 + 100 ms | at p99 + 100 ms |\n|---|---|---|---|---|---|---|---|---|---|---|');
  const ceiling = (ms: number) => fmt(Math.round((CONCURRENT_EXECUTIONS * 1000) / ms));
  for (const [group, kinds] of groups) {
    console.log(`| *${group}* |  |  |  |  |  |  |  |  |  |  |`);
    for (const kind of kinds) {
      await kind.prepare?.();
      await kind.run(samples); // the kind's own warm-up, untimed, on inputs no sample uses
      await emulator.setLatency(latencyMs);
      await emulator.clearLog();
      const ms: number[] = [];
      let outcome = '';
      for (let i = 0; i < samples; i++) {
        const r = await kind.run(i);
        ms.push(r.ms);
        outcome = r.outcome ?? 'answered';
      }
      const log = await emulator.log();
      await emulator.setLatency(0);
      const p50 = percentile(ms, 50);
      const p99 = percentile(ms, 99);
      const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
      console.log(`| ${kind.name} | ${outcome} | ${fmt(log.length / samples)} | ${fmt(roundTrips(log) / samples)} | ${fmt(p50)} | ${fmt(p99)} | ${fmt(mean)} | ${ceiling(p50)} | ${ceiling(p50 + 20)} | ${ceiling(p50 + 100)} | ${ceiling(p99 + 100)} |`);
    }
  }
  console.log('');
}

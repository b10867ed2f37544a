import type { EmulatorProcess } from './emulator-process';

/**
 * A generated history for the audit's benchmark: `conversations` conversations over the 7 days
 * before `to`, each an SMS customer and one of 100 chat agents exchanging `messages` messages a
 * minute apart. Seeded into the emulator through its control surface, `parallel` requests at once.
 */
export async function seedAuditHistory(emulator: EmulatorProcess, options: { conversations: number; messages: number; to: number }): Promise<void> {
  const start = options.to - 7 * 86_400_000;
  const span = 7 * 86_400_000 - 3_600_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const at = (i: number) => start + Math.floor((i * span) / options.conversations);
  const sids: string[] = [];
  for (let i = 0; i < options.conversations; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, options.conversations - i) }, (_, k) => ({ friendlyName: `Support ${i + k + 1}`, attributes: '{}', dateCreated: iso(at(i + k)) }));
    sids.push(...(await emulator.conversations(batch)));
  }
  const parallel = 8;
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < sids.length) {
        const i = next++;
        const sid = sids[i]!;
        const t = at(i);
        const phone = `+1555${String(1_000_000 + (i % 1_000_000)).slice(1)}`;
        const agent = `agent-${i % 100}`;
        await emulator.participants(sid, [
          { address: phone, proxyAddress: '+15550009999', dateCreated: iso(t + 1000) },
          { identity: agent, dateCreated: iso(t + 5000) },
        ]);
        await emulator.messages(
          sid,
          Array.from({ length: options.messages }, (_, k) => ({ author: k % 2 === 0 ? phone : agent, body: k % 7 === 6 ? 'a'.repeat(1700) : `message ${k} about the order, thanks`, dateCreated: iso(t + 60_000 * (k + 1)) })),
        );
      }
    }),
  );
}

import type { Slot, SlotStore } from './slot-store';

/** An in-process {@link SlotStore} with Sync's semantics (409 to a second creator, 412 to a stale writer); TTL is ignored. */
export class MemorySlotStore implements SlotStore {
  private readonly groups = new Map<string, Map<string, Slot>>();
  private revisions = 0;

  async list(group: string): Promise<Slot[]> {
    return [...(this.groups.get(group)?.values() ?? [])].map((slot) => ({ ...slot }));
  }

  async take(group: string, key: string, takenAt: number, revision: string | undefined): Promise<{ revision: string } | 'lost'> {
    const slots = this.groups.get(group) ?? new Map<string, Slot>();
    this.groups.set(group, slots);
    const current = slots.get(key);
    if (revision === undefined ? current !== undefined : current?.revision !== revision) return 'lost';
    const slot = { key, takenAt, revision: String(++this.revisions) };
    slots.set(key, slot);
    return { revision: slot.revision };
  }
}

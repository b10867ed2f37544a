import type { Window } from './window';

/**
 * An exact sliding log: the times of the actions admitted within the window. An action is admitted
 * while fewer than `capacity` remain within `windowMs` of now.
 */
export type Log = readonly number[];

export function prune(log: Log, now: number, windowMs: number): number[] {
  return log.filter((t) => t > now - windowMs && t <= now + windowMs);
}

export function hasRoom(log: Log, capacity: number, now: number, windowMs: number): boolean {
  return prune(log, now, windowMs).length < capacity;
}

/** Milliseconds until the oldest admitted action leaves the window and frees a place. */
export function msUntilRoom(log: Log, capacity: number, now: number, windowMs: number): number {
  const live = prune(log, now, windowMs).sort((a, b) => a - b);
  if (live.length < capacity) return 0;
  return Math.max(1, live[live.length - capacity]! + windowMs - now);
}

/** Splits a limit across shards as evenly as possible: 30 over 4 shards is 8, 8, 7, 7. */
export function shardCapacities(window: Window, shards: number): number[] {
  return Array.from({ length: shards }, (_, i) => Math.floor(window.limit / shards) + (i < window.limit % shards ? 1 : 0));
}

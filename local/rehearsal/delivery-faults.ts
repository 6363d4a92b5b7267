import { SeededRandom } from '../random.js';

export interface DuplicateDelivery {
  /** How many times each event is delivered (EventBridge promises at least once). */
  copies: number;
  /** When set, each event arrives a seeded number of times between minCopies and copies. */
  minCopies?: number;
  /** Each copy waits a seeded random 0..maxDelayMs, so copies of later events overtake earlier ones. */
  maxDelayMs: number;
  seed: number;
}

export interface DeliveryFaults<E> {
  duplicate?: DuplicateDelivery;
  /** Events this returns true for never arrive (a lost event; EventBridge does not promise delivery either). */
  lose?: (event: E) => boolean;
}

export interface LostEvent<E> {
  event: E;
  /** Epoch ms at which it would have been published. */
  at: number;
}

export interface DeliveryStats {
  emitted: number;
  /** Copies handed to the bus. */
  delivered: number;
  lost: number;
  /** Copies delivered after a copy of a later event: the reorderings that happened. */
  overtaken: number;
}

/**
 * Wraps the twin's event publisher with what the orchestrator must tolerate from EventBridge:
 * every event arriving several times, late and out of order, and (for lost-event scenarios)
 * chosen events never arriving. All of it is seeded, so a failing run can be repeated.
 */
export function faultyPublisher<E>(publish: (event: E) => Promise<void>, faults: DeliveryFaults<E>, onError: (error: unknown) => void) {
  const duplicate = faults.duplicate;
  const random = new SeededRandom(duplicate?.seed ?? 1);
  const pending = new Set<NodeJS.Timeout>();
  const stats: DeliveryStats = { emitted: 0, delivered: 0, lost: 0, overtaken: 0 };
  const lost: Array<LostEvent<E>> = [];
  let latestDelivered = -1;
  const send = (event: E, sequence: number) => {
    stats.delivered += 1;
    if (sequence < latestDelivered) stats.overtaken += 1;
    latestDelivered = Math.max(latestDelivered, sequence);
    return publish(event);
  };
  const deliver = async (event: E): Promise<void> => {
    const sequence = stats.emitted;
    stats.emitted += 1;
    if (faults.lose?.(event) === true) {
      stats.lost += 1;
      lost.push({ event, at: Date.now() });
      return;
    }
    if (duplicate === undefined) return send(event, sequence);
    const least = Math.min(duplicate.minCopies ?? duplicate.copies, duplicate.copies);
    // Drawn only when it can vary, so that a fixed count keeps the delays a given seed always gave.
    const copies = least === duplicate.copies ? least : least + Math.floor(random.next() * (duplicate.copies - least + 1));
    for (let copy = 0; copy < copies; copy += 1) {
      const timer = setTimeout(() => {
        pending.delete(timer);
        send(event, sequence).catch(onError);
      }, random.next() * duplicate.maxDelayMs);
      pending.add(timer);
    }
  };
  const cancel = () => {
    for (const timer of pending) clearTimeout(timer);
    pending.clear();
  };
  return { deliver, cancel, stats, lost };
}

/** Every event delivered `copies` times (or minCopies..copies), delayed and reordered. */
export function duplicatingPublisher<E>(publish: (event: E) => Promise<void>, options: DuplicateDelivery, onError: (error: unknown) => void) {
  return faultyPublisher(publish, { duplicate: options }, onError);
}

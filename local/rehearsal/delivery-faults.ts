import { SeededRandom } from '../random.js';

export interface DuplicateDelivery {
  /** How many times each event is delivered (EventBridge promises at least once). */
  copies: number;
  /** Each copy waits a seeded random 0..maxDelayMs, so copies of later events overtake earlier ones. */
  maxDelayMs: number;
  seed: number;
}

/**
 * Wraps the twin's event publisher so that every event arrives several times and out of order:
 * what the orchestrator must tolerate, since EventBridge delivers at least once and unordered.
 */
export function duplicatingPublisher<E>(publish: (event: E) => Promise<void>, options: DuplicateDelivery, onError: (error: unknown) => void) {
  const random = new SeededRandom(options.seed);
  const pending = new Set<NodeJS.Timeout>();
  const deliver = (event: E): void => {
    for (let copy = 0; copy < options.copies; copy += 1) {
      const timer = setTimeout(() => {
        pending.delete(timer);
        publish(event).catch(onError);
      }, random.next() * options.maxDelayMs);
      pending.add(timer);
    }
  };
  const cancel = () => {
    for (const timer of pending) clearTimeout(timer);
    pending.clear();
  };
  return { deliver, cancel };
}

/** Weighted target groups, as a load balancer's listener rule forwards new sessions: a group by weight, then the group's least-loaded target. */
import type { SeededRandom } from '../random.js';

export interface RouteTarget {
  group: string;
  /** Percent of new sessions the group gets (the ECS twin's trafficTarget). */
  weight: number;
}

/**
 * The order in which new-session targets are tried: the targets of one group picked by weight
 * first (in their given order, least sessions first), then those of the other weighted groups,
 * heaviest first. Groups of weight 0 get no new session. With a single weighted group nothing is
 * drawn, so that a seeded scenario without traffic shifting draws the same numbers as before.
 */
export function routeOrder<T>(targets: readonly T[], route: (target: T) => RouteTarget, random: SeededRandom): T[] {
  const groups = new Map<string, { weight: number; members: T[] }>();
  for (const target of targets) {
    const { group, weight } = route(target);
    if (!(weight > 0)) continue;
    const entry = groups.get(group) ?? { weight, members: [] };
    entry.members.push(target);
    groups.set(group, entry);
  }
  const ordered = [...groups.values()].sort((a, b) => b.weight - a.weight);
  if (ordered.length > 1) {
    const total = ordered.reduce((sum, entry) => sum + entry.weight, 0);
    let draw = random.next() * total;
    const chosen = ordered.findIndex((entry) => (draw -= entry.weight) < 0);
    const [picked] = ordered.splice(chosen < 0 ? ordered.length - 1 : chosen, 1);
    if (picked !== undefined) ordered.unshift(picked);
  }
  return ordered.flatMap((entry) => entry.members);
}

/** Counters of one route, summed over its tasks. */
export interface RouteCounters {
  /** Records the route looked at. */
  in: number;
  /** Dropped by its filter. */
  filtered: number;
  /** Passed on to its sink. */
  out: number;
  /** Outputs beyond the first of records a script made several of. */
  extra: number;
}

/**
 * Per route: records in, filtered and out. A record that is in but neither filtered
 * nor out failed in the route (its filter or projection threw) and went to the dead
 * letters.
 */
export class RouteMetrics {
  private readonly routes = new Map<string, RouteCounters>();

  of(route: string): RouteCounters {
    let counters = this.routes.get(route);
    if (!counters) this.routes.set(route, (counters = { in: 0, filtered: 0, out: 0, extra: 0 }));
    return counters;
  }

  snapshot(): Record<string, RouteCounters & { failed: number }> {
    return Object.fromEntries(
      [...this.routes].map(([name, c]) => [
        name,
        { ...c, failed: c.in - c.filtered - (c.out - c.extra) },
      ]),
    );
  }
}

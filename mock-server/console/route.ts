/**
 * The console's address: `#/<view>` and, after a `?`, what the view shows, e.g. `#/journal?entry=42`
 * (the journal with entry 42's detail open). A link from one view to a thing another view shows is
 * an address, so it can be opened in a new tab, bookmarked, and left with the Back button.
 */
export type RouteParams = Record<string, string | number | undefined>;

export interface Route {
  view: string;
  params: URLSearchParams;
}

export function routeOf(hash: string = location.hash): Route {
  const path = hash.replace(/^#\/?/, '');
  const at = path.search(/[?&#]/);
  return {
    view: at < 0 ? path : path.slice(0, at),
    params: new URLSearchParams(at < 0 ? '' : path.slice(at + 1)),
  };
}

export function hrefOf(view: string, params: RouteParams = {}): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
  const text = query.toString();
  return `#/${view}${text ? `?${text}` : ''}`;
}

/** The journal entry a `#/journal?entry=<id>` address opens. */
export function entryParam(params: URLSearchParams): number | undefined {
  const value = params.get('entry');
  return value !== null && /^[0-9]+$/.test(value) ? Number(value) : undefined;
}

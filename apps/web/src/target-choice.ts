// Which target the page opens — the one the URL names, the only one configured, or the person's pick —
// and the page URL kept naming the open target, so a reload or a bookmark returns to it. Pure functions
// over lists and URL strings: no DOM, no fetch.

export interface TargetInfo {
  readonly id: string;
  readonly label: string;
}

/** What the page does first: open a target, offer a choice, or say there is nothing to open. */
export type StartChoice =
  | { readonly kind: 'open'; readonly target: TargetInfo }
  | { readonly kind: 'pick'; readonly targets: readonly TargetInfo[] }
  | { readonly kind: 'none' };

/**
 * The URL's `?target=` wins (even one the list does not show: the server then refuses it in words); else
 * the only target opens straight away; else the person picks.
 */
export function chooseStart(targets: readonly TargetInfo[], wanted: string | null): StartChoice {
  if (wanted)
    return { kind: 'open', target: targets.find((t) => t.id === wanted) ?? { id: wanted, label: wanted } };
  const [only] = targets;
  if (targets.length === 1 && only) return { kind: 'open', target: only };
  if (targets.length === 0) return { kind: 'none' };
  return { kind: 'pick', targets };
}

/** `href` with `?target=id`, every other parameter and the fragment kept as they were. */
export function urlNamingTarget(href: string, id: string): string {
  const url = new URL(href);
  url.searchParams.set('target', id);
  return url.href;
}

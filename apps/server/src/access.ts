// Who may open which target: a ticket's `targets` claim (what the platform granted this once) and the
// target's own `allow` list (who the operator lets in) must both agree. The one place this is decided:
// the console gate and the target list both ask here, so a list never shows what the gate would refuse.
import type { Principal } from './auth.js';
import type { TargetConfig } from './config.js';

const GROUP_PREFIX = 'group:';

/** Whether `principal` may open `target`. */
export function mayOpen(principal: Principal, target: Pick<TargetConfig, 'id' | 'allow'>): boolean {
  const { scope } = principal;
  if (scope !== undefined && scope !== '*' && !scope.includes(target.id)) return false;
  // No allow list: whoever the auth mode let in (under "none", anyone who reaches the port).
  if (target.allow === undefined) return true;
  if (!principal.authenticated) return false;
  const groups = principal.groups ?? [];
  return target.allow.some((entry) =>
    entry.startsWith(GROUP_PREFIX)
      ? groups.includes(entry.slice(GROUP_PREFIX.length))
      : entry === principal.id,
  );
}

/** The targets `principal` may open, in configured order. */
export function visibleTargets<T extends Pick<TargetConfig, 'id' | 'allow'>>(
  principal: Principal,
  targets: readonly T[],
): T[] {
  return targets.filter((target) => mayOpen(principal, target));
}

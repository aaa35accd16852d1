import { useSyncExternalStore } from 'react';
import type { Permission } from './permissions';
import { sessionStore, type Session } from './session';

export function useSession(): Session | null {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get, sessionStore.get);
}

/** What the signed-in user may do: hides controls the server would refuse (the server still checks). */
export function useCan(): (p: Permission) => boolean {
  const s = useSession();
  return (p) => Boolean(s?.permissions.has(p));
}

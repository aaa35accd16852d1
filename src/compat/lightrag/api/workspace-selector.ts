/**
 * The grammar of a LightRAG workspace selector as Strata reads it (the
 * LIGHTRAG-WORKSPACE header, X-Workspace-ID, the /lightrag/w/{workspace} path
 * segment or an Ollama model tag): `kb` or `tenant SEP kb`, SEP the first
 * "__", else "/", else ":" (tenant slugs never contain "_").
 */
export interface ParsedSelector {
  raw: string;
  tenantRef: string | null;
  kbRef: string;
}

const ALLOWED = /^[A-Za-z0-9][A-Za-z0-9 _.:/-]{0,199}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** LightRAG's own workspace sanitiser (lightrag/api/config.py), so a name it rewrote still matches. */
export function sanitiseWorkspace(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** null when the selector is not well formed (the caller answers 400). */
export function parseSelector(value: string): ParsedSelector | null {
  const raw = value.trim();
  if (!ALLOWED.test(raw)) return null;
  for (const sep of ['__', '/', ':']) {
    const at = raw.indexOf(sep);
    if (at > 0 && at + sep.length < raw.length) return { raw, tenantRef: raw.slice(0, at), kbRef: raw.slice(at + sep.length) };
    if (at === 0 || at === raw.length - sep.length) return null;
  }
  return { raw, tenantRef: null, kbRef: raw };
}

/** The KBs a reference names: its UUID, its name (case-insensitive), or its name after LightRAG's sanitiser. */
export function matchKbs<T extends { id: string; name: string }>(kbs: readonly T[], ref: string): T[] {
  if (UUID.test(ref)) return kbs.filter((k) => k.id.toLowerCase() === ref.toLowerCase());
  const lower = ref.toLowerCase();
  const exact = kbs.filter((k) => k.name.toLowerCase() === lower);
  if (exact.length > 0) return exact;
  const sanitised = sanitiseWorkspace(ref).toLowerCase();
  return kbs.filter((k) => sanitiseWorkspace(k.name).toLowerCase() === sanitised);
}

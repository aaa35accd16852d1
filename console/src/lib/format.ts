/** Dates as the user's locale shows them; "never" for a missing one. */
export function when(iso: string | null | undefined, none = 'never'): string {
  if (!iso) return none;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A day (yyyy-mm-dd) as the ISO instant the API takes: a start is the day's start, an end the next day's (UTC), so the end day is included. */
export function dayBound(day: string, end: boolean): string | undefined {
  if (!day) return undefined;
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return undefined;
  if (end) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString();
}

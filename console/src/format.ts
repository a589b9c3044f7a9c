/** Rupiah, as the staff read it. */
export const rupiah = (value: number | null | undefined): string =>
  typeof value === 'number' ? `Rp ${value.toLocaleString('id-ID')}` : '—';

export const when = (value: unknown): string => (typeof value === 'string' && value ? new Date(value).toLocaleString() : '—');

/** Seconds as a person reads an age: 45 s, 12 min, 3 h 5 min, 2 d 4 h. */
export function age(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** Any JSON as indented text; secrets were masked by the server before they were stored. */
export const json = (value: unknown): string => JSON.stringify(value ?? null, null, 2);

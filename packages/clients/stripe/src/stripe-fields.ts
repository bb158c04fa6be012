// Helpers for the field conventions every Stripe object shares.

/** An expandable field holds either an id or the expanded object; this is the id either way. */
export function idOf(reference: string | { id: string }): string;
export function idOf(reference: string | { id?: string } | null | undefined): string | null;
export function idOf(reference: string | { id?: string } | null | undefined): string | null {
  if (reference === null || reference === undefined) return null;
  return typeof reference === 'string' ? reference : (reference.id ?? null);
}

/** Stripe timestamps are whole Unix seconds. */
export function toUnixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export function fromUnixSeconds(seconds: number): Date {
  return new Date(seconds * 1000);
}

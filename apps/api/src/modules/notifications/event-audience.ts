import { EVENT_AUDIENCES, type EventType, TRADER_EVENT_TYPES } from '@astrix/contracts';

/**
 * The one decision of what reaches a trader's own history and stream: types whose audience in
 * `@astrix/contracts` is `trader`. Staff-only events (fraud flags, disputes, write-offs) and
 * requests to services never do, whoever asks; staff read them in the admin history.
 */
export const TRADER_VISIBLE_TYPES: readonly EventType[] = TRADER_EVENT_TYPES;

export function traderSees(type: string): boolean {
  return (EVENT_AUDIENCES as Readonly<Record<string, string | undefined>>)[type] === 'trader';
}

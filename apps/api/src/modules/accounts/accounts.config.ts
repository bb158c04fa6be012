/** Most resets one account may receive; null for no limit. */
export const MAX_RESETS_PER_ACCOUNT: number | null = 10;

/** Trading outcomes dated further ahead than this are refused: a clock that far off is a bug. */
export const MAX_OUTCOME_CLOCK_SKEW_MS = 5 * 60_000;

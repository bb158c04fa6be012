import { setTimeout as delay } from 'node:timers/promises';

/** Polls until `condition` holds (or fails after `limitMs`); for state that settles in the background. */
export async function waitFor(condition: () => boolean, limitMs = 5_000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error('Condition not met in time');
    await delay(10);
  }
}

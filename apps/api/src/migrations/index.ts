import { PlatformFoundation1795248000000 } from './1795248000000-platform-foundation';

/** Every migration, oldest first. Landed migrations are never edited; add a new one instead. */
export const MIGRATIONS = [PlatformFoundation1795248000000];

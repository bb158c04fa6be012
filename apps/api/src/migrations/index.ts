import { PlatformFoundation1795248000000 } from './1795248000000-platform-foundation';
import { BillingCore1795251600000 } from './1795251600000-billing-core';

/** Every migration, oldest first. Landed migrations are never edited; add a new one instead. */
export const MIGRATIONS = [PlatformFoundation1795248000000, BillingCore1795251600000];

import type { INestApplicationContext } from '@nestjs/common';

/**
 * Starts the application's modules (no HTTP, no workers) for a CLI command that needs them. The
 * composition root provides it, so commands never import the root module themselves.
 */
export const CLI_APP_CONTEXT_FACTORY = Symbol('CLI_APP_CONTEXT_FACTORY');
export type CliAppContextFactory = () => Promise<INestApplicationContext>;

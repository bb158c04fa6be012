/**
 * The admin module's public surface: staff endpoints over the other contexts, and the operator CLI
 * commands for the CLI's composition root. Nothing else imports admin.
 */
export { AdminModule } from './admin.module';
export { ADMIN_COMMANDS } from './cli/admin.commands';
export { SUBSCRIPTION_COMMANDS } from './cli/subscription.commands';

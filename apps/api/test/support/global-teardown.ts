import { TEMPLATE_DATABASE_VARIABLE, withAdminClient } from './databases';

export default async function globalTeardown(): Promise<void> {
  const name = process.env[TEMPLATE_DATABASE_VARIABLE];
  if (!name) return;
  await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

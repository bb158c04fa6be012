// `pnpm start`, `pnpm start:worker` and `pnpm cli` read `.env` at the repository root when it exists
// (a copy of .env.example). Variables already set in the environment win over the file.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function loadDotEnv(root) {
  const file = join(root, '.env');
  if (!existsSync(file)) return false;
  process.loadEnvFile(file);
  return true;
}

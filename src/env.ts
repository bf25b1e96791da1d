import fs from 'node:fs';
import path from 'node:path';

/** Loads `.env` from the project root when present; real environment variables win. */
export function loadDotEnv(file = path.resolve(__dirname, '..', '.env')): void {
  if (fs.existsSync(file)) process.loadEnvFile(file);
}

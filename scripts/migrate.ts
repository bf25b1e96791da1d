/**
 * npm run migrate            apply pending migrations
 * npm run migration:create   write a migration for the difference between entities and schema
 */
import { loadConfig } from '../src/config';
import { initOrm, migrateUp } from '../src/db/orm';
import { loadDotEnv } from '../src/env';
import { exitOnStartupError } from '../src/startup';

async function main(): Promise<void> {
  loadDotEnv();
  const orm = await initOrm(loadConfig());
  try {
    if (process.argv[2] === 'create') {
      const result = await orm.getMigrator().createMigration(undefined, false, false, process.argv[3]);
      if (!result.fileName) console.log('schema matches the entities; nothing to write');
      else console.log(`wrote src/db/migrations/${result.fileName}; add it to src/db/migrations/index.ts`);
      return;
    }
    const applied = await migrateUp(orm);
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'database schema is up to date');
  } finally {
    await orm.close(true);
  }
}

main().catch(exitOnStartupError('migrate'));

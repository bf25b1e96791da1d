import path from 'node:path';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Config } from '../config';
import { entities, TENANT_OWNED } from './entities';
import { migrationsList } from './migrations';

export type Orm = MikroORM;

export const TENANT_FILTER = 'tenant';
/** Filter argument for the few callers entitled to every tenant's rows (SUPERADMIN, sign-in). */
export const ALL_TENANTS = '*';

/** ORM options shared by the API, the worker, the migration script and the tests. */
export function ormOptions(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_MAX'>): Options {
  return {
    clientUrl: config.DATABASE_URL,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: config.DATABASE_POOL_MAX },
    // Migrations are imported as classes so tsx, jest and compiled builds load them the same way.
    migrations: { migrationsList, path: path.join(__dirname, 'migrations'), emit: 'ts', transactional: true, allOrNothing: true, snapshot: false, silent: true },
    // Entities use defineEntity, so no reflection or decorator metadata is needed.
    discovery: { checkDuplicateFieldNames: true },
    allowGlobalContext: false,
    // Tenant isolation in the data layer: every read, update and delete of a tenant-owned entity
    // is scoped, and a query made without saying whose data it wants fails instead of leaking.
    filters: {
      [TENANT_FILTER]: {
        name: TENANT_FILTER,
        entity: TENANT_OWNED,
        default: true,
        args: true,
        cond: (args: { tenantId?: string }) => {
          if (!args.tenantId) throw new Error('tenant filter used without a tenant');
          return args.tenantId === ALL_TENANTS ? {} : { tenantId: args.tenantId };
        },
      },
    },
    forceUtcTimezone: true,
  };
}

/** An entity manager of its own for work outside a request (activities), scoped to one tenant. */
export function tenantEm(orm: Orm, tenantId: string) {
  const em = orm.em.fork();
  em.setFilterParams(TENANT_FILTER, { tenantId });
  return em;
}

export function initOrm(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_MAX'>): Promise<Orm> {
  return MikroORM.init(ormOptions(config));
}

/** Applies every pending migration; returns the names applied. */
export async function migrateUp(orm: Orm): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

import { Migration } from '@mikro-orm/migrations';

/**
 * One customer per seed 000 user id in a tenant: two first chats with the same new user id at the
 * same instant would otherwise create two customers.
 */
export class Migration20261123190000_customer_user_id_unique extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create unique index "customers_tenant_user_id_unique" on "customers" ("tenant_id", ("preferences"->>'user_id')) where "preferences" ? 'user_id';`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index "customers_tenant_user_id_unique";');
  }
}

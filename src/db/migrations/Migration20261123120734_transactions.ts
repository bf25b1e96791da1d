import { Migration } from '@mikro-orm/migrations';

export class Migration20261123120734_transactions extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "transactions" ("id" uuid not null, "tenant_id" uuid not null, "customer_id" uuid not null, "kind" text check ("kind" in ('sale', 'rent')) not null, "property_ref" varchar(200) null, "amount_cents" bigint not null, "currency" varchar(3) not null, "commission_bps" int not null, "status" text check ("status" in ('offer', 'negotiation', 'accepted', 'closed', 'rejected', 'cancelled')) not null default 'offer', "notes" text null, "created_by" varchar(64) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "transactions_pkey" primary key ("id"));`);
    this.addSql(`create index "transactions_customer_id_index" on "transactions" ("customer_id");`);
    this.addSql(`create index "transactions_tenant_status_index" on "transactions" ("tenant_id", "status");`);

    this.addSql(`create table "transaction_history" ("id" bigserial primary key, "tenant_id" uuid not null, "transaction_id" uuid not null, "from_status" varchar(20) null, "to_status" varchar(20) not null, "note" text null, "actor_id" varchar(64) null, "created_at" timestamptz not null);`);
    this.addSql(`create index "transaction_history_transaction_id_index" on "transaction_history" ("transaction_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "transactions" cascade;`);

    this.addSql(`drop table if exists "transaction_history" cascade;`);
  }

}

import { Migration } from '@mikro-orm/migrations';

export class Migration20261123120154_webhooks extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "webhook_deliveries" ("id" uuid not null, "tenant_id" uuid not null, "subscription_id" uuid not null, "event" varchar(100) not null, "payload" jsonb not null, "status" text check ("status" in ('pending', 'delivered', 'failed')) not null default 'pending', "attempts" int not null default 0, "last_status_code" int null, "last_error" varchar(1000) null, "created_at" timestamptz not null, "delivered_at" timestamptz null, constraint "webhook_deliveries_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_deliveries_tenant_id_index" on "webhook_deliveries" ("tenant_id");`);
    this.addSql(`create index "webhook_deliveries_subscription_id_created_at_index" on "webhook_deliveries" ("subscription_id", "created_at");`);

    this.addSql(`create table "webhook_subscriptions" ("id" uuid not null, "tenant_id" uuid not null, "url" varchar(2048) not null, "events" jsonb not null, "secret" varchar(200) not null, "is_active" boolean not null default true, "created_by" uuid null, "created_at" timestamptz not null, constraint "webhook_subscriptions_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_subscriptions_tenant_id_index" on "webhook_subscriptions" ("tenant_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);

    this.addSql(`drop table if exists "webhook_subscriptions" cascade;`);
  }

}

import { Migration } from '@mikro-orm/migrations';

export class Migration20261123110454_events extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "events" ("id" bigserial primary key, "topic" varchar(200) not null, "type" varchar(100) not null, "tenant_id" varchar(64) null, "payload" jsonb not null, "idempotency_key" varchar(300) null, "created_at" timestamptz not null default now());`);
    this.addSql(`create index "events_tenant_id_index" on "events" ("tenant_id");`);
    this.addSql(`alter table "events" add constraint "events_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "events_topic_id_index" on "events" ("topic", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "events" cascade;`);
  }

}

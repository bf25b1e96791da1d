import { Migration } from '@mikro-orm/migrations';

export class Migration20261123132641_chat extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "chat_messages" ("id" bigserial primary key, "tenant_id" uuid not null, "session_id" uuid not null, "lead_id" uuid not null, "direction" text check ("direction" in ('in', 'out')) not null, "sender_type" text check ("sender_type" in ('customer', 'assistant', 'agent', 'system')) not null, "content" text not null, "client_message_id" varchar(200) not null, "reply_to_id" bigint null, "channel" text check ("channel" in ('webchat', 'whatsapp', 'telegram', 'api', 'voice')) not null default 'webchat', "sources" jsonb null, "provider" varchar(50) null, "model" varchar(100) null, "input_tokens" int not null default 0, "output_tokens" int not null default 0, "cache_read_tokens" int not null default 0, "cache_write_tokens" int not null default 0, "cost_usd" double precision not null default 0, "latency_ms" int null, "actor_id" varchar(64) null, "created_at" timestamptz not null);`);
    this.addSql(`create index "chat_messages_session_index" on "chat_messages" ("session_id", "id");`);
    this.addSql(`create index "chat_messages_tenant_lead_index" on "chat_messages" ("tenant_id", "lead_id", "id");`);
    this.addSql(`alter table "chat_messages" add constraint "chat_messages_session_client_unique" unique ("session_id", "client_message_id", "direction");`);

    this.addSql(`create table "chat_sessions" ("id" uuid not null, "tenant_id" uuid not null, "lead_id" uuid not null, "external_id" varchar(200) null, "channel" text check ("channel" in ('webchat', 'whatsapp', 'telegram', 'api', 'voice')) not null default 'webchat', "flow" text check ("flow" in ('real_estate', 'project')) not null default 'real_estate', "status" text check ("status" in ('active', 'handoff', 'resolved', 'closed')) not null default 'active', "workflow_id" varchar(200) not null, "conversation_state" jsonb not null, "message_count" int not null default 0, "handoff_reason" varchar(300) null, "assigned_agent_id" uuid null, "last_message_at" timestamptz null, "resolved_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "chat_sessions_pkey" primary key ("id"));`);
    this.addSql(`create index "chat_sessions_tenant_lead_index" on "chat_sessions" ("tenant_id", "lead_id");`);
    this.addSql(`create index "chat_sessions_tenant_last_message_index" on "chat_sessions" ("tenant_id", "last_message_at");`);
    this.addSql(`alter table "chat_sessions" add constraint "chat_sessions_tenant_external_unique" unique ("tenant_id", "external_id");`);

  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "chat_messages" cascade;`);

    this.addSql(`drop table if exists "chat_sessions" cascade;`);

  }

}

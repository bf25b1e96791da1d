import { Migration } from '@mikro-orm/migrations';

export class Migration20261123113824_identity extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "api_keys" ("id" uuid not null, "tenant_id" uuid not null, "name" varchar(100) not null, "prefix" varchar(16) not null, "secret_hash" varchar(64) not null, "scopes" jsonb not null, "rate_limit_per_minute" int null, "created_by" uuid null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "api_keys_pkey" primary key ("id"));`);
    this.addSql(`create index "api_keys_tenant_id_index" on "api_keys" ("tenant_id");`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_secret_hash_unique" unique ("secret_hash");`);

    this.addSql(`create table "audit_logs" ("id" bigserial primary key, "tenant_id" uuid null, "actor_type" varchar(20) not null, "actor_id" varchar(64) null, "action" varchar(100) not null, "resource" varchar(100) not null, "resource_id" varchar(100) null, "method" varchar(10) not null, "path" varchar(500) not null, "status" int not null, "outcome" varchar(20) not null, "request_id" varchar(128) not null, "ip" varchar(64) null, "created_at" timestamptz not null);`);
    this.addSql(`create index "audit_logs_tenant_id_created_at_index" on "audit_logs" ("tenant_id", "created_at");`);

    this.addSql(`create table "auth_sessions" ("id" uuid not null, "user_id" uuid not null, "current_token_hash" varchar(64) not null, "rotations" int not null default 0, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "revoked_reason" varchar(50) null, "created_at" timestamptz not null, "last_used_at" timestamptz not null, constraint "auth_sessions_pkey" primary key ("id"));`);
    this.addSql(`create index "auth_sessions_user_id_index" on "auth_sessions" ("user_id");`);
    this.addSql(`alter table "auth_sessions" add constraint "auth_sessions_current_token_hash_unique" unique ("current_token_hash");`);

    this.addSql(`create table "rate_limit_windows" ("subject" varchar(100) not null, "window_start" timestamptz not null, "count" int not null, constraint "rate_limit_windows_pkey" primary key ("subject", "window_start"));`);

    this.addSql(`create table "auth_rotated_tokens" ("token_hash" varchar(64) not null, "session_id" uuid not null, "rotated_at" timestamptz not null, constraint "auth_rotated_tokens_pkey" primary key ("token_hash"));`);
    this.addSql(`create index "auth_rotated_tokens_session_id_index" on "auth_rotated_tokens" ("session_id");`);

    this.addSql(`create table "tenants" ("id" uuid not null, "name" varchar(200) not null, "is_active" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "tenants_pkey" primary key ("id"));`);

    this.addSql(`create table "tenant_configs" ("tenant_id" uuid not null, "version" int not null default 1, "assistant_name" varchar(100) not null, "persona" text not null, "tone" varchar(100) not null, "prompt_sections" jsonb not null, "lead_scoring_weights" jsonb not null, "sla_policies" jsonb not null, "updated_by" uuid null, "updated_at" timestamptz not null, constraint "tenant_configs_pkey" primary key ("tenant_id"));`);

    this.addSql(`create table "tenant_config_versions" ("id" uuid not null, "tenant_id" uuid not null, "version" int not null, "snapshot" jsonb not null, "created_by" uuid null, "created_at" timestamptz not null, constraint "tenant_config_versions_pkey" primary key ("id"));`);
    this.addSql(`alter table "tenant_config_versions" add constraint "tenant_config_versions_tenant_id_version_unique" unique ("tenant_id", "version");`);

    this.addSql(`create table "users" ("id" uuid not null, "tenant_id" uuid null, "email" varchar(320) not null, "name" varchar(200) not null, "password_hash" varchar(200) not null, "role" text check ("role" in ('SUPERADMIN', 'ADMIN', 'AGENT')) not null, "is_active" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "users_pkey" primary key ("id"));`);
    this.addSql(`create index "users_tenant_id_index" on "users" ("tenant_id");`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "api_keys" cascade;`);

    this.addSql(`drop table if exists "audit_logs" cascade;`);

    this.addSql(`drop table if exists "auth_sessions" cascade;`);

    this.addSql(`drop table if exists "rate_limit_windows" cascade;`);

    this.addSql(`drop table if exists "auth_rotated_tokens" cascade;`);

    this.addSql(`drop table if exists "tenants" cascade;`);

    this.addSql(`drop table if exists "tenant_configs" cascade;`);

    this.addSql(`drop table if exists "tenant_config_versions" cascade;`);

    this.addSql(`drop table if exists "users" cascade;`);
  }

}

import { Migration } from '@mikro-orm/migrations';

export class Migration20261123120139_customers extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "customers" ("id" uuid not null, "tenant_id" uuid not null, "name" varchar(200) null, "phone" varchar(20) null, "email" varchar(320) null, "tags" jsonb not null, "status" text check ("status" in ('cold', 'warm', 'hot', 'converted', 'lost')) not null default 'cold', "lead_score" double precision not null default 0, "qualification" text check ("qualification" in ('no_calificado', 'potencial', 'calificado')) not null default 'no_calificado', "pipeline_stage" text check ("pipeline_stage" in ('entrada', 'perfilamiento', 'calificacion_financiera', 'agendado', 'seguimiento', 'referidos', 'ganado', 'perdido')) not null default 'entrada', "stage_set_manually_at" timestamptz null, "stage_changed_at" timestamptz not null, "assigned_agent_id" uuid null, "source" varchar(50) not null default 'manual', "location" varchar(200) null, "budget" varchar(100) null, "property_type" varchar(100) null, "timeline" varchar(100) null, "project_type" varchar(100) null, "requirements_summary" text null, "follow_up_status" varchar(30) not null default 'pending', "preferences" jsonb not null, "notes" text null, "last_activity_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "customers_pkey" primary key ("id"));`);
    this.addSql(`create index "customers_assigned_agent_id_index" on "customers" ("assigned_agent_id");`);
    this.addSql(`create index "customers_tenant_stage_index" on "customers" ("tenant_id", "pipeline_stage");`);
    this.addSql(`create index "customers_tenant_created_index" on "customers" ("tenant_id", "created_at");`);
    this.addSql(`alter table "customers" add constraint "customers_tenant_phone_unique" unique ("tenant_id", "phone");`);
    this.addSql(`alter table "customers" add constraint "customers_tenant_email_unique" unique ("tenant_id", "email");`);

    this.addSql(`create table "lead_activities" ("id" bigserial primary key, "tenant_id" uuid not null, "customer_id" uuid not null, "type" varchar(50) not null, "description" text not null, "data" jsonb not null, "actor_id" varchar(64) null, "created_at" timestamptz not null);`);
    this.addSql(`create index "lead_activities_customer_id_index" on "lead_activities" ("customer_id", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "customers" cascade;`);

    this.addSql(`drop table if exists "lead_activities" cascade;`);
  }

}

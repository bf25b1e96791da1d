import { Migration } from '@mikro-orm/migrations';

export class Migration20261123131535_knowledge extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "documents" ("id" uuid not null, "tenant_id" uuid not null, "filename" varchar(255) not null, "type" text check ("type" in ('csv', 'json', 'txt', 'pdf', 'docx')) not null, "size_bytes" int not null, "sha256" varchar(64) not null, "status" text check ("status" in ('queued', 'processing', 'completed', 'failed')) not null default 'queued', "workflow_id" varchar(200) not null, "kind" varchar(20) null, "total_rows" int not null default 0, "processed_rows" int not null default 0, "records_inserted" int not null default 0, "rejected_records" int not null default 0, "chunks" int not null default 0, "indexed" int not null default 0, "errors" jsonb not null, "failure" text null, "uploaded_by" varchar(64) null, "processing_ms" int null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "completed_at" timestamptz null, constraint "documents_pkey" primary key ("id"));`);
    this.addSql(`create index "documents_tenant_created_index" on "documents" ("tenant_id", "created_at");`);

    this.addSql(`create table "document_contents" ("document_id" uuid not null, "tenant_id" uuid not null, "content" bytea not null, constraint "document_contents_pkey" primary key ("document_id"));`);

    this.addSql(`create table "knowledge_chunks" ("id" varchar(80) not null, "tenant_id" uuid not null, "source" text check ("source" in ('document', 'kb')) not null, "source_id" uuid not null, "ordinal" int not null, "title" varchar(300) null, "text" text not null, "created_at" timestamptz not null, constraint "knowledge_chunks_pkey" primary key ("id"));`);
    this.addSql(`create index "knowledge_chunks_tenant_source_index" on "knowledge_chunks" ("tenant_id", "source_id");`);

    this.addSql(`create table "knowledge_entries" ("id" uuid not null, "tenant_id" uuid not null, "title" varchar(300) not null, "content" text not null, "category" varchar(100) null, "tags" jsonb not null, "is_active" boolean not null default true, "created_by" varchar(64) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "knowledge_entries_pkey" primary key ("id"));`);
    this.addSql(`create index "knowledge_entries_tenant_created_index" on "knowledge_entries" ("tenant_id", "created_at");`);

    this.addSql(`create table "properties" ("id" uuid not null, "tenant_id" uuid not null, "external_id" varchar(300) not null, "document_id" uuid null, "title" varchar(300) not null, "address" varchar(300) null, "floor" varchar(50) null, "suite" varchar(50) null, "city" varchar(120) null, "neighborhood" varchar(120) null, "property_type" varchar(60) null, "listing_type" text check ("listing_type" in ('sale', 'rent')) null, "status" text check ("status" in ('available', 'under_offer', 'sold', 'rented', 'off_market')) not null default 'available', "size_sf" double precision null, "rent_per_sf_year" double precision null, "annual_rent" double precision null, "monthly_rent" double precision null, "price" double precision null, "bedrooms" int null, "bathrooms" double precision null, "broker_email" varchar(320) null, "gci_on_3_years" double precision null, "description" text null, "extra" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "properties_pkey" primary key ("id"));`);
    this.addSql(`create index "properties_tenant_document_index" on "properties" ("tenant_id", "document_id");`);
    this.addSql(`create index "properties_tenant_created_index" on "properties" ("tenant_id", "created_at");`);
    this.addSql(`alter table "properties" add constraint "properties_tenant_external_unique" unique ("tenant_id", "external_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "documents" cascade;`);

    this.addSql(`drop table if exists "document_contents" cascade;`);

    this.addSql(`drop table if exists "knowledge_chunks" cascade;`);

    this.addSql(`drop table if exists "knowledge_entries" cascade;`);

    this.addSql(`drop table if exists "properties" cascade;`);
  }

}

import { Migration } from '@mikro-orm/migrations';

/**
 * Rate-limit counters are written on every request and worthless after a crash: an unlogged
 * table skips the WAL flush that would otherwise put a disk sync on every request's path.
 */
export class Migration20261123120000_rate_limit_unlogged extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "rate_limit_windows" set unlogged;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "rate_limit_windows" set logged;');
  }
}

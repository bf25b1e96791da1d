import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123110454_events } from './Migration20261123110454_events';
import { Migration20261123113824_identity } from './Migration20261123113824_identity';
import { Migration20261123120000_rate_limit_unlogged } from './Migration20261123120000_rate_limit_unlogged';
import { Migration20261123120139_customers } from './Migration20261123120139_customers';
import { Migration20261123120154_webhooks } from './Migration20261123120154_webhooks';
import { Migration20261123120734_transactions } from './Migration20261123120734_transactions';
import { Migration20261123131535_knowledge } from './Migration20261123131535_knowledge';
import { Migration20261123132641_chat } from './Migration20261123132641_chat';
import { Migration20261123190000_customer_user_id_unique } from './Migration20261123190000_customer_user_id_unique';

/** Every migration, oldest first. New ones are appended here after `npm run migration:create`. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261123110454_events', class: Migration20261123110454_events },
  { name: 'Migration20261123113824_identity', class: Migration20261123113824_identity },
  { name: 'Migration20261123120000_rate_limit_unlogged', class: Migration20261123120000_rate_limit_unlogged },
  { name: 'Migration20261123120139_customers', class: Migration20261123120139_customers },
  { name: 'Migration20261123120154_webhooks', class: Migration20261123120154_webhooks },
  { name: 'Migration20261123120734_transactions', class: Migration20261123120734_transactions },
  { name: 'Migration20261123131535_knowledge', class: Migration20261123131535_knowledge },
  { name: 'Migration20261123132641_chat', class: Migration20261123132641_chat },
  { name: 'Migration20261123190000_customer_user_id_unique', class: Migration20261123190000_customer_user_id_unique },
];

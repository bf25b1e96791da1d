import type { MikroORM } from '@mikro-orm/postgresql';
import type { AuthService } from '../auth/service';
import type { Config } from '../config';
import type { EventListener } from '../events/listener';
import type { Logger } from '../logger';
import type { SearchClient } from '../search/client';
import type { TemporalDeps } from '../temporal/client';

/** Everything the HTTP layer needs, built once by the process that serves it. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  orm: MikroORM;
  es: SearchClient;
  temporal: TemporalDeps;
  events: EventListener;
  auth: AuthService;
}

import { AuthService } from './auth/service';
import { loadConfig, publicUrl } from './config';
import { initOrm } from './db/orm';
import { loadDotEnv } from './env';
import { EventListener } from './events/listener';
import { createLogger } from './logger';
import { createSearchClient } from './search/client';
import { startServer } from './server';
import { exitOnStartupError } from './startup';
import { createTemporal } from './temporal/client';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger(config, 'api');
  const orm = await initOrm(config);
  const es = createSearchClient(config);
  const temporal = createTemporal(config);
  const events = new EventListener(config.DATABASE_URL, logger);
  await events.start();

  const running = await startServer(
    { config, logger, orm, es, temporal, events, auth: new AuthService(config) },
    { host: config.HOST, port: config.PORT },
  );
  const base = publicUrl(config);
  logger.info({ url: base, docs: `${base}/docs`, temporalUi: config.TEMPORAL_UI_URL }, 'api listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    try {
      await running.close();
      await events.stop();
      await temporal.connection.close();
      await es.close();
      await orm.close(true);
      logger.info('api stopped');
    } finally {
      clearTimeout(force);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch(exitOnStartupError('api'));

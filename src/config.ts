import { z } from 'zod';

const DEV_JWT_SECRET = 'development-only-secret-change-me-0123456789';
const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const url = (protocols: RegExp) => z.url({ protocol: protocols });

/** Every setting the processes read, with the defaults that match the local stack. */
const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port.default(8000),
  PUBLIC_URL: url(/^https?$/).optional(),
  BODY_JSON_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 512kb or 1mb')
    .default('1mb'),

  JWT_SECRET: z.string().min(32, 'at least 32 characters').default(DEV_JWT_SECRET),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt.default(900),
  REFRESH_TOKEN_TTL_DAYS: positiveInt.default(30),
  RATE_LIMIT_PER_MINUTE: positiveInt.default(100),
  AUTH_RATE_LIMIT_PER_MINUTE: positiveInt.default(30),

  /** Region for phone numbers written without a country code (ISO 3166 alpha-2). */
  DEFAULT_PHONE_REGION: z.string().regex(/^[A-Z]{2}$/, 'two capital letters, e.g. CL').default('CL'),
  BULK_IMPORT_MAX_BYTES: positiveInt.default(50 * 1024 * 1024),
  /** A lead quiet this long gets a follow-up scheduled; quiet as long again, it is marked lost. */
  LEAD_STALE_AFTER_MS: positiveInt.default(72 * 3600 * 1000),

  /** Largest single file accepted by the document upload, in bytes. */
  UPLOAD_MAX_FILE_BYTES: positiveInt.default(50 * 1024 * 1024),
  /** Uploads up to this size are answered when processed; larger ones get 202 and progress events. */
  INGEST_SYNC_MAX_BYTES: positiveInt.default(1024 * 1024),
  /** How long a request waits for a small upload or a knowledge-base write to be indexed. */
  INGEST_SYNC_WAIT_MS: positiveInt.default(15_000),
  /** Rows upserted and indexed per batch (one heartbeat each). */
  INGEST_BATCH_SIZE: positiveInt.default(500),

  /** A chat session with no message for this long is closed; the next message reopens it. */
  CHAT_IDLE_TIMEOUT_MS: positiveInt.default(30 * 60 * 1000),
  /** Turns a session's workflow run handles before continuing as new (Temporal may suggest sooner). */
  CHAT_MAX_TURNS_PER_RUN: positiveInt.default(500),

  /** `local`: the built-in deterministic embedder; `http`: an OpenAI-compatible /v1/embeddings endpoint. */
  EMBEDDINGS_PROVIDER: z.enum(['local', 'http']).default('local'),
  EMBEDDINGS_URL: url(/^https?$/).optional(),
  EMBEDDINGS_API_KEY: z.string().optional(),
  EMBEDDINGS_MODEL: z.string().min(1).default('text-embedding-3-small'),
  EMBEDDINGS_DIMENSIONS: positiveInt.max(4096).default(384),
  EMBEDDINGS_TIMEOUT_MS: positiveInt.default(20_000),

  DATABASE_URL: url(/^postgres(ql)?$/).default('postgres://crm:crm@127.0.0.1:5433/crm'),
  DATABASE_POOL_MAX: positiveInt.default(10),

  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[\w.-]+:\d+$/, 'expected host:port')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('crm'),
  TEMPORAL_UI_URL: url(/^https?$/).default('http://127.0.0.1:8233'),
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  WORKER_SHUTDOWN_GRACE_MS: positiveInt.default(10_000),

  ELASTICSEARCH_URL: url(/^https?$/).default('http://127.0.0.1:9200'),
  ELASTICSEARCH_REQUEST_TIMEOUT_MS: positiveInt.default(10_000),
  /** Index and alias names start with this, so several environments can share one cluster. */
  ELASTICSEARCH_INDEX_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _')
    .default('crm'),

  /** Language model: Anthropic's Messages API when a key is set, the offline rule-based provider otherwise. */
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: url(/^https?$/).optional(),
  ANTHROPIC_MODEL: z.string().min(1).default('claude-sonnet-5-5'),
  // A call must end before the chat activity's 60 s start-to-close timeout, or Temporal abandons it mid-stream.
  LLM_TIMEOUT_MS: positiveInt.max(59_000, 'must stay below the chat activity timeout of 60000').default(30_000),
  LLM_MAX_TOKENS: positiveInt.max(128_000).default(1024),
  OFFLINE_LLM_TOKEN_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(0),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** The names of every setting, for documentation checks. */
export const CONFIG_KEYS = Object.keys(ConfigSchema.shape) as Array<keyof Config>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses settings once at start-up so a bad value stops the process with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Treat empty strings as unset: `.env` files often carry `KEY=` lines.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message} (got ${JSON.stringify(present[String(issue.path[0])] ?? null)})`),
    );
  }
  if (parsed.data.NODE_ENV === 'production' && parsed.data.JWT_SECRET === DEV_JWT_SECRET) {
    throw new ConfigError(['JWT_SECRET: must be set in production (the default is public)']);
  }
  if (parsed.data.EMBEDDINGS_PROVIDER === 'http' && !parsed.data.EMBEDDINGS_URL) {
    throw new ConfigError(['EMBEDDINGS_URL: required when EMBEDDINGS_PROVIDER=http']);
  }
  return Object.freeze(parsed.data);
}

/** The URL people should open; HOST 0.0.0.0 is not something to click. */
export function publicUrl(config: Config): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL.replace(/\/$/, '');
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  return `http://${host}:${config.PORT}`;
}

import { ConfigError } from './config';

/** Entry points end here: a configuration problem prints its message, anything else its stack. */
export function exitOnStartupError(processName: string) {
  return (err: unknown): never => {
    if (err instanceof ConfigError) console.error(`${processName}: ${err.message}`);
    else console.error(`${processName}: fatal:`, err);
    process.exit(1);
  };
}

import type { Config } from '../config';

const LOOPBACK_OR_ANY = /^(([\w-]+\.)*localhost|127(\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\]|\[::ffff:127(\.\d{1,3}){3}\]|\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\])$/i;

const portOf = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80));

/**
 * Why a webhook URL is refused, or null when it is acceptable. Receivers must be plain http(s)
 * without credentials (they would be stored and sent in clear), and must not be this API: a
 * subscription pointing at ourselves would let events call our own endpoints. Loopback on other
 * ports stays allowed for local receivers.
 */
export function webhookUrlProblem(raw: string, config: Pick<Config, 'PORT' | 'HOST' | 'PUBLIC_URL'>): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not contain credentials';
  // URL has already turned decimal and hex IPv4 forms into dotted quads; a trailing dot is the same host.
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const isApiHost = LOOPBACK_OR_ANY.test(host) || host === config.HOST.toLowerCase().replace(/\.$/, '');
  if (isApiHost && portOf(url) === config.PORT) return 'must not point at this API';
  if (config.PUBLIC_URL && new URL(config.PUBLIC_URL).origin === url.origin) return 'must not point at this API';
  return null;
}

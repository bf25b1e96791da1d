import { networkInterfaces } from 'node:os';
import type { Config } from '../config';

const LOCAL_NAME = /^([\w-]+\.)*localhost$/i;

const portOf = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80));

/** The IPv4 address a URL host names: dotted, or inside an IPv4-mapped IPv6 form ([::ffff:7f00:1]). */
function ipv4Of(host: string): number[] | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host.split('.').map(Number);
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(host);
  if (!mapped) return null;
  const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff];
}

/** Loopback, or "this host" (0.0.0.0/8, ::), which connects to the local machine too. */
function isLocal(host: string): boolean {
  if (LOCAL_NAME.test(host) || host === '[::1]' || host === '[::]') return true;
  const v4 = ipv4Of(host);
  return v4 !== null && (v4[0] === 127 || v4[0] === 0);
}

/** The addresses the API answers on: its configured host, or every interface when bound to all. */
function apiHosts(config: Pick<Config, 'HOST'>): Set<string> {
  const configured = config.HOST.toLowerCase().replace(/\.$/, '');
  if (configured !== '0.0.0.0' && configured !== '::') return new Set([configured]);
  const addresses = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  return new Set(addresses.map((a) => (a.family === 'IPv6' ? `[${a.address.toLowerCase()}]` : a.address)));
}

/**
 * Why a webhook URL is refused, or null when it is acceptable. Receivers must be plain http(s)
 * without credentials (they would be stored and sent in clear), and must not be this API: a
 * subscription pointing at ourselves would let events call our own endpoints. Loopback on other
 * ports stays allowed for local receivers. Names are not resolved here, so a public name that
 * resolves to this machine is not caught.
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
  if (url.port === '0') return 'must not use port 0';
  // URL has already turned decimal and hex IPv4 forms into dotted quads; a trailing dot is the same host.
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const mapped = ipv4Of(host);
  const hosts = apiHosts(config);
  const isApiHost = isLocal(host) || hosts.has(host) || (mapped !== null && hosts.has(mapped.join('.')));
  if (isApiHost && portOf(url) === config.PORT) return 'must not point at this API';
  if (config.PUBLIC_URL && new URL(config.PUBLIC_URL).origin === url.origin) return 'must not point at this API';
  return null;
}

import { networkInterfaces } from 'node:os';
import { createHmac } from 'node:crypto';
import { generateWebhookSecret, signatureHeader, verifyWebhookSignature } from '../../src/webhooks/signature';
import { webhookUrlProblem } from '../../src/webhooks/url';

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret-value';
  const body = '{"id":"d1","event":"lead.created","created_at":"2026-01-01T00:00:00.000Z","data":{}}';
  const now = new Date('2026-01-01T00:00:10Z');
  const timestamp = Math.floor(now.getTime() / 1000);

  it('is v1= and the hex HMAC-SHA256 of "<timestamp>.<body>"', () => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    expect(signatureHeader(secret, timestamp, body)).toBe(`v1=${expected}`);
  });

  it('verifies only the same secret, body and a recent timestamp', () => {
    const signature = signatureHeader(secret, timestamp, body);
    const check = (over: Partial<Parameters<typeof verifyWebhookSignature>[0]>) => verifyWebhookSignature({ secret, timestamp: String(timestamp), body, signature, now, ...over });
    expect(check({})).toBe(true);
    expect(check({ secret: 'whsec_other' })).toBe(false);
    expect(check({ body: body.replace('lead.created', 'lead.updated') })).toBe(false);
    expect(check({ timestamp: String(timestamp + 1) })).toBe(false);
    expect(check({ now: new Date(now.getTime() + 301_000) })).toBe(false);
    expect(check({ signature: 'v1=00' })).toBe(false);
  });

  it('generates distinct whsec_ secrets', () => {
    const [a, b] = [generateWebhookSecret(), generateWebhookSecret()];
    expect(a).toMatch(/^whsec_[\w-]{43}$/);
    expect(a).not.toBe(b);
  });
});

describe('webhook URL rules', () => {
  const config = { PORT: 8000, HOST: '0.0.0.0', PUBLIC_URL: undefined };

  it.each([
    'https://hooks.example.net/crm',
    'http://127.0.0.1:8001/hooks',
    'http://localhost:3000/',
    'http://hooks.example.net:8000/', // another host on the same port is not this API
  ])('accepts %s', (url) => {
    expect(webhookUrlProblem(url, config)).toBeNull();
  });

  it.each([
    ['ftp://hooks.example.net/', 'must be an http or https URL'],
    ['https://a:b@hooks.example.net/', 'must not contain credentials'],
    ['http://127.0.0.1:8000/', 'must not point at this API'],
    ['http://127.1.2.3:8000/', 'must not point at this API'],
    ['http://LOCALHOST:8000/', 'must not point at this API'],
    ['http://[::ffff:127.0.0.1]:8000/', 'must not point at this API'],
    ['http://localhost.:8000/', 'must not point at this API'],
    ['http://api.localhost:8000/', 'must not point at this API'],
    ['http://2130706433:8000/', 'must not point at this API'],
    ['http://0x7f.1:8000/', 'must not point at this API'],
    ['http://[::1]:8000/', 'must not point at this API'],
    // "This host" and IPv4-mapped forms of it reach the API as loopback does.
    ['http://[::ffff:0.0.0.0]:8000/', 'must not point at this API'],
    ['http://[::ffff:0:0]:8000/', 'must not point at this API'],
    ['http://0.1.2.3:8000/', 'must not point at this API'],
    ['http://[::]:8000/', 'must not point at this API'],
    ['http://hooks.example.net:0/', 'must not use port 0'],
    ['http://127.0.0.1/', null],
    ['nonsense', 'not a valid URL'],
  ])('%s: %s', (url, problem) => {
    expect(webhookUrlProblem(url, config)).toBe(problem);
  });

  it('refuses every address of this machine when the API listens on all of them', () => {
    const addresses = Object.values(networkInterfaces()).flatMap((list) => list ?? []).filter((a) => !a.internal);
    for (const a of addresses) {
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      expect({ host, problem: webhookUrlProblem(`http://${host}:8000/hook`, config) }).toEqual({ host, problem: 'must not point at this API' });
    }
    // Bound to one address, the others are other receivers.
    expect(webhookUrlProblem('http://10.0.0.6:8000/x', { ...config, HOST: '10.0.0.5' })).toBeNull();
  });

  it('refuses the configured host and the public origin, default ports included', () => {
    expect(webhookUrlProblem('http://10.0.0.5:8000/x', { ...config, HOST: '10.0.0.5' })).toBe('must not point at this API');
    expect(webhookUrlProblem('https://crm.example.com/hooks', { ...config, PUBLIC_URL: 'https://crm.example.com:443' })).toBe('must not point at this API');
    expect(webhookUrlProblem('https://crm.example.com:8443/hooks', { ...config, PUBLIC_URL: 'https://crm.example.com' })).toBeNull();
  });
});

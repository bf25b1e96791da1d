import { ConfigError, loadConfig, publicUrl } from '../../src/config';

describe('loadConfig', () => {
  it('gives defaults that match the local stack', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(8000);
    expect(config.DATABASE_URL).toBe('postgres://crm:crm@127.0.0.1:5433/crm');
    expect(config.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(config.ELASTICSEARCH_URL).toBe('http://127.0.0.1:9200');
  });

  it('coerces numbers and treats empty strings as unset', () => {
    const config = loadConfig({ PORT: '9001', TEMPORAL_NAMESPACE: '' });
    expect(config.PORT).toBe(9001);
    expect(config.TEMPORAL_NAMESPACE).toBe('default');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x@y/z'],
    ['TEMPORAL_ADDRESS', 'no-port'],
    ['ELASTICSEARCH_URL', 'not a url'],
    ['LOG_LEVEL', 'loud'],
    ['BODY_JSON_LIMIT', 'lots'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(1);
  });

  it('reports every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*PORT/);
  });

  it('derives a clickable public URL from a wildcard host', () => {
    expect(publicUrl(loadConfig({ HOST: '0.0.0.0', PORT: '8000' }))).toBe('http://127.0.0.1:8000');
    expect(publicUrl(loadConfig({ PUBLIC_URL: 'https://crm.example.com/' }))).toBe('https://crm.example.com');
  });
});

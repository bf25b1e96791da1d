import { ConfigError, loadConfig } from '../../../src/config';
import { AnthropicProvider } from '../../../src/llm/anthropic';
import { createLlmProvider } from '../../../src/llm';
import { OfflineProvider } from '../../../src/llm/offline';
import { startFakeAnthropic } from '../../support/fake-anthropic';
import { replyRequest } from '../../support/llm-fixtures';

describe('language-model settings', () => {
  it('default to the offline provider and a current Sonnet for when a key is given', () => {
    const config = loadConfig({});
    expect(config.ANTHROPIC_API_KEY).toBeUndefined();
    expect(config.ANTHROPIC_BASE_URL).toBeUndefined();
    expect(config.ANTHROPIC_MODEL).toBe('claude-sonnet-5-5');
    expect(config.LLM_TIMEOUT_MS).toBe(30_000);
    expect(config.LLM_MAX_TOKENS).toBe(1024);
    expect(config.OFFLINE_LLM_TOKEN_DELAY_MS).toBe(0);
  });

  it.each([
    ['LLM_TIMEOUT_MS', '60000'],
    ['LLM_TIMEOUT_MS', '0'],
    ['ANTHROPIC_BASE_URL', 'not a url'],
    ['LLM_MAX_TOKENS', 'many'],
    ['OFFLINE_LLM_TOKEN_DELAY_MS', '-1'],
  ])('reject %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});

describe('createLlmProvider', () => {
  it('is offline without a key, or when asked to be', () => {
    expect(createLlmProvider(loadConfig({}))).toBeInstanceOf(OfflineProvider);
    expect(createLlmProvider(loadConfig({ ANTHROPIC_API_KEY: 'sk-ant-x' }), { offline: true })).toBeInstanceOf(OfflineProvider);
  });

  it('is Anthropic with a key, wired to the configured endpoint, model and limits', async () => {
    const fake = await startFakeAnthropic();
    try {
      fake.script({ type: 'text', text: 'Hola' });
      const provider = createLlmProvider(loadConfig({ ANTHROPIC_API_KEY: 'sk-ant-config', ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MODEL: 'claude-haiku-4-5', LLM_MAX_TOKENS: '321' }));
      expect(provider).toBeInstanceOf(AnthropicProvider);
      expect(provider.model).toBe('claude-haiku-4-5');
      const result = await provider.reply(replyRequest());
      expect(result.text).toBe('Hola');
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0]!.headers['x-api-key']).toBe('sk-ant-config');
      expect(fake.requests[0]!.body).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 321 });
    } finally {
      await fake.close();
    }
  });

  it('gives the offline provider the configured pace', async () => {
    const provider = createLlmProvider(loadConfig({ OFFLINE_LLM_TOKEN_DELAY_MS: '20' }));
    const started = Date.now();
    let deltas = 0;
    await provider.reply(replyRequest({ missing: ['name'] }), () => void deltas++);
    expect(deltas).toBeGreaterThan(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual((deltas - 1) * 20 - 5);
  });
});

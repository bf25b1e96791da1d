import type { CountryCode } from 'libphonenumber-js';
import type { Config } from '../config';
import { AnthropicProvider, type ModelPricing } from './anthropic';
import { OfflineProvider } from './offline';
import type { LlmProvider } from './types';

export type LlmConfig = Pick<
  Config,
  'ANTHROPIC_API_KEY' | 'ANTHROPIC_BASE_URL' | 'ANTHROPIC_MODEL' | 'LLM_TIMEOUT_MS' | 'LLM_MAX_TOKENS' | 'OFFLINE_LLM_TOKEN_DELAY_MS' | 'DEFAULT_PHONE_REGION'
>;

export interface CreateLlmProviderOptions {
  /** Use the offline provider even when an API key is configured (tests, benchmarks). */
  offline?: boolean;
  /** Prices for the configured model, when the defaults are out of date. */
  pricing?: ModelPricing;
}

/** Anthropic when `ANTHROPIC_API_KEY` is set, the offline provider otherwise. */
export function createLlmProvider(config: LlmConfig, options: CreateLlmProviderOptions = {}): LlmProvider {
  const defaultPhoneRegion = config.DEFAULT_PHONE_REGION as CountryCode;
  if (!config.ANTHROPIC_API_KEY || options.offline) {
    return new OfflineProvider({ defaultPhoneRegion, tokenDelayMs: config.OFFLINE_LLM_TOKEN_DELAY_MS });
  }
  return new AnthropicProvider({
    apiKey: config.ANTHROPIC_API_KEY,
    ...(config.ANTHROPIC_BASE_URL ? { baseURL: config.ANTHROPIC_BASE_URL } : {}),
    model: config.ANTHROPIC_MODEL,
    timeoutMs: config.LLM_TIMEOUT_MS,
    maxTokens: config.LLM_MAX_TOKENS,
    defaultPhoneRegion,
    ...(options.pricing ? { pricing: options.pricing } : {}),
  });
}

export { AnthropicProvider, costOf, DEFAULT_PRICING, modelTraits, pricingFor, type AnthropicProviderOptions, type ModelPricing, type ModelTraits } from './anthropic';
export { LlmError, type LlmErrorCode } from './errors';
export { OfflineProvider, type OfflineProviderOptions } from './offline';
export * from './types';

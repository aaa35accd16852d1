/**
 * Estimated prices in USD per million tokens (list prices, late 2026 snapshot).
 * A versioned model name (`gpt-4o-mini-2024-07-18`) takes the price of its
 * longest known prefix; local models cost nothing; an unknown model is priced
 * 0 and marked `priced: false` in the usage report, so a gap shows instead of
 * a wrong number.
 */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

export const PRICES: Record<string, ModelPrice> = {
  'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
  'gpt-4.1-nano': { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  'gpt-4.1-mini': { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  'gpt-4.1': { inputPerMillion: 2, outputPerMillion: 8 },
  'gpt-4-turbo': { inputPerMillion: 10, outputPerMillion: 30 },
  'gpt-3.5-turbo': { inputPerMillion: 0.5, outputPerMillion: 1.5 },
  'o4-mini': { inputPerMillion: 1.1, outputPerMillion: 4.4 },
  'o3-mini': { inputPerMillion: 1.1, outputPerMillion: 4.4 },
  'text-embedding-3-small': { inputPerMillion: 0.02, outputPerMillion: 0 },
  'text-embedding-3-large': { inputPerMillion: 0.13, outputPerMillion: 0 },
  'text-embedding-ada-002': { inputPerMillion: 0.1, outputPerMillion: 0 },
};

const BY_LENGTH = Object.keys(PRICES).sort((a, b) => b.length - a.length);

export function priceOf(provider: string, model: string): ModelPrice | null {
  if (provider === 'local') return { inputPerMillion: 0, outputPerMillion: 0 };
  const name = model.toLowerCase();
  const hit = BY_LENGTH.find((m) => name === m || name.startsWith(`${m}-`) || name.endsWith(`/${m}`));
  return hit ? PRICES[hit] : null;
}

/** Estimated cost of one call, rounded to 1e-8 USD (the column's scale). */
export function estimateCostUsd(provider: string, model: string, inputTokens: number, outputTokens: number): number {
  const p = priceOf(provider, model);
  if (!p) return 0;
  return Math.round(((inputTokens * p.inputPerMillion + outputTokens * p.outputPerMillion) / 1_000_000) * 1e8) / 1e8;
}

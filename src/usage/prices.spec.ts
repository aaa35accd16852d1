import { estimateCostUsd, priceOf } from './prices';

describe('price table', () => {
  it('prices versioned model names by their longest known prefix; local is free; unknown is unpriced', () => {
    expect(priceOf('openai', 'gpt-4o-mini-2024-07-18')).toEqual(priceOf('openai', 'gpt-4o-mini'));
    expect(priceOf('openai', 'gpt-4o-2024-08-06')?.inputPerMillion).toBe(2.5);
    expect(estimateCostUsd('openai', 'gpt-4o-mini', 1_000_000, 1_000_000)).toBeCloseTo(0.75, 8);
    expect(estimateCostUsd('local', 'local-extractive', 5000, 5000)).toBe(0);
    expect(priceOf('openai', 'some-new-model')).toBeNull();
  });
});

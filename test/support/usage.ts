import { UsageSink } from '../../src/rag/ports';
import type { TestApp } from './test-app';

/**
 * Spends `inputTokens` + `outputTokens` of a tenant's monthly model budget:
 * records one call of the local answer model on the KB (hosted, cost 0)
 * through the engine's UsageSink, as the providers report a call.
 */
export function recordAnswerTokens(t: TestApp, tenantId: string, kbId: string, inputTokens: number, outputTokens: number): void {
  t.app.get(UsageSink).record({ tenantId, kbId, provider: 'local', model: 'local-extractive', kind: 'answer', inputTokens, outputTokens, executionMode: 'hosted' });
}

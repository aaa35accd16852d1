import type { Credentials, Http } from './http';

export const kbPath = (tenantId: string, kbId: string) => `/api/v1/tenants/${tenantId}/knowledge-bases/${kbId}`;

/** Polls a document until it is processed (or failed, which throws with its error). */
export async function waitForProcessed(http: Http, tenantId: string, kbId: string, documentId: string, as: Credentials, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const r = await http.get(`${kbPath(tenantId, kbId)}/documents/${documentId}`, as);
    last = r.body?.data;
    if (last?.status === 'processed') return last;
    if (last?.status === 'failed') throw new Error(`document ${documentId} failed: ${last.error}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`document ${documentId} not processed after ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

/** Adds a text and waits until it is indexed; returns its id. */
export async function addTextAndWait(http: Http, tenantId: string, kbId: string, text: string, fileSource: string, as: Credentials): Promise<string> {
  const r = await http.post(`${kbPath(tenantId, kbId)}/documents/text`, { text, file_source: fileSource }, as);
  if (r.status !== 202) throw new Error(`add text failed: ${r.status} ${r.text}`);
  await waitForProcessed(http, tenantId, kbId, r.body.data.document_id, as);
  return r.body.data.document_id;
}

/**
 * File uploads to POST …/documents/add (multipart field `file`), one
 * XMLHttpRequest per file so each has its own progress bar (fetch reports no
 * upload progress). The queue is a plain reducer, tested on its own: files
 * are added as `queued`, at most `UPLOAD_CONCURRENCY` are `uploading`, and
 * each ends `done` (with the new document id) or `failed` (with the ApiError,
 * its request id included).
 */
import { ApiError, errorFrom } from '../api/client';
import type { DocumentAccepted } from '../api/workspace';
import { sessionStore } from '../session/session';

export const UPLOAD_CONCURRENCY = 2;

export type UploadState = 'queued' | 'uploading' | 'done' | 'failed';

export interface UploadItem {
  id: number;
  name: string;
  size: number;
  state: UploadState;
  /** Bytes sent so far (of `size`). */
  loaded: number;
  documentId?: string;
  error?: ApiError;
}

export type UploadAction =
  | { type: 'add'; files: Array<{ name: string; size: number }>; firstId: number }
  | { type: 'start'; id: number }
  | { type: 'progress'; id: number; loaded: number }
  | { type: 'done'; id: number; documentId: string }
  | { type: 'failed'; id: number; error: ApiError }
  | { type: 'clear' };

export function uploadReducer(items: UploadItem[], a: UploadAction): UploadItem[] {
  const update = (id: number, patch: Partial<UploadItem>) => items.map((i) => (i.id === id ? { ...i, ...patch } : i));
  switch (a.type) {
    case 'add':
      return [...items, ...a.files.map((f, n) => ({ id: a.firstId + n, name: f.name, size: f.size, state: 'queued' as const, loaded: 0 }))];
    case 'start':
      return update(a.id, { state: 'uploading', loaded: 0 });
    case 'progress':
      return update(a.id, { loaded: Math.min(a.loaded, items.find((i) => i.id === a.id)?.size ?? a.loaded) });
    case 'done':
      return items.map((i) => (i.id === a.id ? { ...i, state: 'done' as const, loaded: i.size, documentId: a.documentId } : i));
    case 'failed':
      return update(a.id, { state: 'failed', error: a.error });
    case 'clear':
      // Finished uploads leave the list; queued and running ones stay.
      return items.filter((i) => i.state === 'queued' || i.state === 'uploading');
  }
}

/** The queued items to start now, oldest first, keeping at most `limit` uploading. */
export function nextToStart(items: UploadItem[], limit = UPLOAD_CONCURRENCY): UploadItem[] {
  const running = items.filter((i) => i.state === 'uploading').length;
  return items.filter((i) => i.state === 'queued').slice(0, Math.max(0, limit - running));
}

/** Whole percent sent (0–100); an empty file is 100 % once done. */
export function percent(i: UploadItem): number {
  if (i.state === 'done') return 100;
  return i.size > 0 ? Math.floor((i.loaded / i.size) * 100) : 0;
}

/** Sends one file; resolves with the accepted document, rejects with an ApiError. */
export function uploadFile(path: string, file: File, onProgress: (loaded: number) => void): { promise: Promise<DocumentAccepted>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<DocumentAccepted>((resolve, reject) => {
    xhr.open('POST', `/api/v1${path}`);
    xhr.setRequestHeader('accept', 'application/json');
    const session = sessionStore.get();
    if (session) xhr.setRequestHeader('authorization', `Bearer ${session.token}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK_ERROR', 'The upload did not reach the Strata server. Check your connection and try again.', null));
    xhr.onabort = () => reject(new ApiError(0, 'ABORTED', 'The upload was cancelled.', null));
    xhr.onload = () => {
      const requestId = xhr.getResponseHeader('x-request-id');
      let body: unknown;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        body = undefined;
      }
      if (xhr.status < 200 || xhr.status >= 300) {
        const error = errorFrom(xhr.status, xhr.statusText, body, requestId);
        if (xhr.status === 401 && session) sessionStore.expire(`Your session is no longer valid: ${error.message} Sign in again.`);
        reject(error);
        return;
      }
      const data = (body as { data?: DocumentAccepted } | undefined)?.data;
      if (!data?.document_id) reject(new ApiError(xhr.status, 'BAD_RESPONSE', 'The server sent an answer the console cannot read.', requestId));
      else resolve(data);
    };
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

/** A page of a list, as services return it; the interceptor turns it into data + meta. */
export class Page<T> {
  constructor(
    readonly items: T[],
    readonly total: number,
    readonly limit: number,
    readonly offset: number,
  ) {}
}

export interface SuccessEnvelope<T> {
  status: 'success';
  data: T;
  meta?: { total: number; limit: number; offset: number };
}

export function wrapSuccess<T>(body: T | Page<T>): SuccessEnvelope<unknown> {
  if (body instanceof Page) {
    return { status: 'success', data: body.items, meta: { total: body.total, limit: body.limit, offset: body.offset } };
  }
  return { status: 'success', data: body ?? {} };
}

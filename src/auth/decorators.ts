// The access decorators live with the request context (src/context/decorators.ts) so that any
// module may use them without depending on auth; this re-export keeps older import paths working.
export * from '../context/decorators';

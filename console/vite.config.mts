import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web console: built by the root `npm run build` into dist/console, which the server
// serves at /console/ (src/web/console-assets.ts). No Vite plugin: Vite's own Oxc transform
// compiles the TypeScript and JSX (React's automatic runtime).
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Keeps the CSP strict: no inline script or data: module-preload polyfill.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});

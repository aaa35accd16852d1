// ESLint (flat config): typescript-eslint's recommended rules on every
// TypeScript file, Node globals for the plain-JS benchmarks and CI scripts,
// browser globals for the web console (console/).
// `npm run lint` runs it in CI (.ci/run); `npm run lint:fix` applies fixes.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { defineConfig } from 'eslint/config';

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'grafana/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // An `any` hides what a value is; where a driver or a test double really
      // returns anything, say so next to it with an eslint-disable comment.
      '@typescript-eslint/no-explicit-any': 'error',
      // `_name` marks an argument or binding kept on purpose (a handler's
      // signature, a destructured field left out).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // U+0000 is matched on purpose in these files: PostgreSQL text cannot hold
    // it, so DTOs refuse it with a named error and uploads strip it. Other
    // control characters in a pattern still need an inline justification.
    files: ['src/**/*.dto.ts', 'src/common/dto-fields.ts', 'src/documents/upload.ts', 'src/audit/audit-chain.ts'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    // The web console (console/): browser code, ES modules; its component tests run under jsdom.
    files: ['console/**/*.ts', 'console/**/*.tsx', 'console/**/*.mts'],
    languageOptions: { sourceType: 'module', globals: { ...globals.browser } },
  },
  {
    files: ['console/test/**/*.ts', 'console/test/**/*.tsx', 'console/vite.config.mts'],
    languageOptions: { globals: { ...globals.browser, ...globals.node, ...globals.jest } },
  },
  {
    // Plain CommonJS: the benchmarks, the CI helpers and the Jest config.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Jest globals in the three test tiers. Tests read ad-hoc SQL rows and
    // JSON bodies whose shape the assertion itself states: `any` is allowed there.
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

// Three tiers:
//   unit        *.spec.ts beside the code, no database
//   integration test/integration/*.int-spec.ts, a real database (PGlite, or TEST_DATABASE_URL)
//   e2e         test/e2e/*.e2e-spec.ts, the booted HTTP app
// and the web console's two:
//   console     console/test/*.test.tsx, its components and client logic under jsdom
//   browser     test/browser/*.browser-spec.ts, the built server and console in headless Chromium
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];
// NestJS 12 ships ES modules; Jest (before Node 24.9) cannot require() them, so
// those packages are compiled to CommonJS by swc like our own sources.
// Several of their dependencies are ESM too, so everything is compiled except
// large CommonJS packages that gain nothing from it.
const SKIP = [
  '@electric-sql',
  'typeorm',
  'pg',
  'pg-.*',
  'openai',
  'compromise',
  'unpdf',
  'mammoth',
  'gpt-tokenizer',
  'piscina',
  'prom-client',
  'ioredis',
  'argon2',
  '@swc',
  'jest.*',
  '@jest',
  'pino.*',
];
const common = {
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: [`/node_modules/(${SKIP.join('|')})/`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
};
// The console's TypeScript and JSX (React's automatic runtime), for jsdom.
const swcConsole = [
  '@swc/jest',
  {
    jsc: { target: 'es2022', parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } },
    module: { type: 'commonjs' },
  },
];
module.exports = {
  testTimeout: 120000,
  maxWorkers: 2,
  // PGlite instances and the app hold timers; a hung handle must not hang CI.
  forceExit: true,
  // One initdb per run: in-memory test databases start from its dump (PGLITE_TEMPLATE, test/support/test-db.ts).
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    {
      displayName: 'console',
      testEnvironment: 'jsdom',
      testMatch: ['<rootDir>/console/test/**/*.test.{ts,tsx}'],
      transform: { '^.+\\.(ts|tsx|js|mjs)$': swcConsole },
      transformIgnorePatterns: [`/node_modules/(${SKIP.join('|')}|react|react-dom|scheduler|@testing-library)/`],
      moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
      moduleNameMapper: { '\\.css$': '<rootDir>/console/test/style-stub.js' },
    },
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] },
  ],
};

// dependency-cruiser: the one-way structure of src/, checked in CI
// (`npm run depcruise`, run by .ci/run). Folders under src/ are either the
// shared base (common, config, database, context), the engines (compute, rag)
// or features (every other folder: one per resource of the API).
const BASE = 'common|config|database|context';
const FEATURE_NOT = `^src/(${BASE}|compute|rag)/`; // a src/ path that is not these is a feature (or the app root)

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycle between files: every dependency points one way.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      severity: 'error',
      comment: 'No import cycle between folders under src/ (a feature imports another, which imports it back through any file).',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'rag-imports-no-feature',
      severity: 'error',
      comment: 'The RAG engine owns its ports; it imports only itself and the shared base (common, config, database, context) and compute.',
      from: { path: '^src/rag/' },
      to: { path: '^src/', pathNot: `^src/(rag|${BASE}|compute)/` },
    },
    {
      name: 'compute-imports-no-rag-or-documents',
      severity: 'error',
      comment: 'The compute pool (worker threads) is below the engine and the features: it never imports them.',
      from: { path: '^src/compute/' },
      to: { path: '^src/(rag|documents)/' },
    },
    {
      name: 'base-imports-no-feature',
      severity: 'error',
      comment: 'The request context and the common helpers are imported by every feature; they import no feature folder.',
      from: { path: '^src/(context|common)/' },
      to: { path: '^src/', pathNot: FEATURE_NOT },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing is a typo or a missing dependency.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], mainFields: ['main', 'types', 'typings'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

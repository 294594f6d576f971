/**
 * Layers and cycles (docs/architecture.md): each folder is a layer and imports only the layers
 * below it. Type-only imports count too: a cycle of types is still a cycle for a reader.
 */
const LAYERS = [
  'src/core',
  'src/serialization',
  'src/config',
  // The rules backends implement: state machine, concurrency scopes, the current invocation.
  'src/orchestration',
  'src/backends',
  // taskapp/backend: what a backend package imports (the role interfaces, records, helpers).
  'src/backend-api.ts',
  // What the engine hands runners, triggers, workflows and monitoring instead of the App: the
  // narrow Runtime interface, task types, and services over a runtime's backends (recovery, purge).
  'src/runtime',
  // Triggers below workflows: ctx.wf.waitForEvent matches payloads with the trigger matcher.
  'src/triggers',
  'src/workflows',
  'src/runners',
  // Monitoring reads a Runtime, and the App starts its log shipping and /metrics: below the facade.
  'src/monitoring',
  'src/app',
  'src/cli',
  'src/index.ts',
  // taskapp/testing: the compliance suites, over the public API (imports vitest: nothing imports it).
  'src/testing',
  'commands',
  'bench',
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.replace(/[/.]/g, '-')}`,
  comment: `${layer} is below ${LAYERS.slice(i + 1).join(', ')} and must not import them`,
  severity: 'error',
  from: { path: `^${escape(layer)}(/|$)` },
  to: {
    path: `^(${LAYERS.slice(i + 1)
      .map(escape)
      .join('|')})(/|$)`,
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles (type-only imports included) make layers meaningless.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};

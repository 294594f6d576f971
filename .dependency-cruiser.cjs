/**
 * Layers and cycles (docs/architecture.md): each folder is a layer and imports only the layers
 * below it. Type-only imports count too: a cycle of types is still a cycle for a reader.
 */
const LAYERS = [
  'src/core',
  'src/serialization',
  'src/config',
  'src/orchestration',
  'src/backends',
  'src/workflows',
  'src/triggers',
  'src/runners',
  'src/app',
  'src/monitoring',
  'src/cli',
  'src/index.ts',
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

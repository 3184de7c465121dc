// HIY's import rules (docs/architecture.md): which folder of src/ may import which. Run by `npm run deps`.
// Each layer lists the folders it may import; anything else is a violation. Type-only imports count too:
// a layer that needs another's types depends on it.

/** folder → folders (besides itself) it may import. */
const allowed = {
  model: [],
  store: ['model'],
  drivers: ['model'],
  desired: ['model', 'drivers', 'store'],
  observed: ['model', 'drivers'],
  plan: ['model', 'desired', 'observed'],
  ports: ['model', 'drivers', 'store', 'desired'],
  snapshots: ['model', 'drivers', 'store'],
  apply: ['model', 'plan', 'drivers', 'store', 'snapshots'],
  access: ['model', 'store', 'drivers', 'desired'],
  engine: ['model', 'store', 'drivers', 'desired', 'observed', 'plan', 'snapshots', 'apply', 'access', 'ports'],
  data: ['model', 'store', 'drivers', 'desired', 'observed', 'plan', 'snapshots', 'apply', 'engine', 'access', 'ports'],
  backup: ['model', 'store', 'drivers', 'desired', 'observed', 'plan', 'snapshots', 'apply', 'engine', 'data', 'access', 'ports'],
  notify: ['model', 'drivers', 'desired', 'engine'],
  export: ['model', 'drivers', 'desired', 'ports', 'snapshots'],
  reconcile: ['model', 'store', 'drivers', 'desired', 'observed', 'plan', 'snapshots', 'apply', 'engine', 'data', 'backup', 'access', 'ports'],
  push: ['model', 'store', 'drivers', 'desired', 'plan', 'apply', 'engine', 'access', 'reconcile', 'ports', 'backup'],
  server: ['model', 'store', 'drivers', 'desired', 'plan', 'engine', 'data', 'backup', 'access', 'notify', 'push', 'reconcile', 'ports'],
};

const layers = Object.keys(allowed);
const forbidden = layers.map((layer) => {
  const ok = [layer, ...allowed[layer]];
  return {
    name: `${layer}-imports`,
    comment: `src/${layer} may import only: ${ok.join(', ')} (docs/architecture.md)`,
    severity: 'error',
    from: { path: `^src/${layer}/` },
    to: { path: '^src/', pathNot: `^src/(${ok.join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    ...forbidden,
    {
      name: 'reconcile-public-api',
      comment: 'server/, cli/ and push/ use src/reconcile only through its index.ts',
      severity: 'error',
      from: { path: '^src/(server|cli|push)/' },
      to: { path: '^src/reconcile/', pathNot: '^src/reconcile/index\\.ts$' },
    },
    {
      name: 'outside-world-only-in-drivers',
      comment: 'processes, HTTP clients, file watching and git live in src/drivers (and the composition root)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(drivers/|main\\.ts$)' },
      to: { path: '(^node_modules/(execa|chokidar|isomorphic-git|undici)/)|^(node:)?child_process$' },
    },
    {
      name: 'cli-only-from-main',
      comment: 'nothing below the CLI imports it',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli/|main\\.ts$)' },
      to: { path: '^src/(cli/|main\\.ts$)' },
    },
    {
      name: 'no-cycles',
      comment: 'no import cycles, type-only imports included',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src/|node_modules/|node:|child_process)',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    builtInModules: { add: [] },
  },
};

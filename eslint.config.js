// Lint: typescript-eslint with type information. Layers and import cycles are checked by
// dependency-cruiser (.dependency-cruiser.cjs), which `npm run lint` runs after this.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'templates/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      curly: ['error', 'all'],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      // Generic plumbing (heterogeneous task maps, error constructors) needs `any`; casting to it does not.
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSAsExpression > TSAnyKeyword',
          message: 'No `as any`: narrow the type instead.',
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Terminal output is ANSI: tests match escape codes on purpose.
    files: ['test/**', 'src/cli/**', 'src/monitoring/**'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    // Tests wait for frames they do not read, and declare arguments a task's signature needs.
    files: ['test/**', 'src/testing/**', 'packages/*/test/**', 'examples/*/test/**'],
    rules: {
      'no-useless-assignment': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'none', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        module: 'readonly',
        require: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        console: 'readonly',
        // Node's globals that the benchmark scripts (bench/peers/*.mjs) use.
        performance: 'readonly',
        setTimeout: 'readonly',
      },
    },
  },
);

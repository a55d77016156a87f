// Lint: typescript-eslint with the type-aware rules that catch what bites a long-running
// process (a floating promise is an unhandled rejection waiting to happen), sizes that keep
// files and functions readable, and the rule that keeps SQL for opscron's tables in src/store.
// The layer rules are dependency-cruiser's (.dependency-cruiser.cjs).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'var/', 'scratch/', 'charts/', 'bench/', 'test/helm/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Plain JavaScript (test support, configs, the bin): Node's globals, no type information.
  { files: ['**/*.{js,mjs,cjs}'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.{js,mjs,cjs}'], languageOptions: { globals: { ...globals.node } } },
  // The console's one script runs in the browser.
  { files: ['assets/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },
  {
    // opscron's tables belong to the store: nothing else runs a statement against them.
    files: ['src/**/*.ts'],
    ignores: ['src/store/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "MemberExpression[object.property.name='sql'][property.name=/^(query|exec|transaction|withConnection|copyIn)$/]",
          message: "SQL for opscron's tables lives in src/store: use (or add) a repository method on the Store.",
        },
        {
          selector: "MemberExpression[object.name='store'][property.name='sql']",
          message: "The store's SQL surface is for src/store and tests: use its repositories.",
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);

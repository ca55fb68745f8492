// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import layering from './eslint/layers.cjs';

/** About a screen: a file or a function longer than this does several things. */
const SIZE_RULES = {
  'max-lines': ['error', { max: 350, skipBlankLines: true, skipComments: true }],
  'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-tools/**',
      '.azure-package/**',
      '.tools/**',
      'node_modules/**',
      'coverage/**',
      '.data/**',
      'jest.config.js',
      'eslint.config.mjs',
      'test/support/summary-reporter.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { local: layering },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Port methods are async by contract even where an adapter answers synchronously.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // The folder layering (eslint/layers.cjs): domain <- ports <- app <- http, triggers <- hosts; only
      // composition roots pick adapters; nothing in the product imports tools/.
      'local/layers': ['error', { root: import.meta.dirname }],
    },
  },
  {
    files: ['src/**/*.ts', 'functions/**/*.ts', 'tools/**/*.ts'],
    rules: SIZE_RULES,
  },
  {
    // Tests too stay files of one subject; a describe callback is long by nature, so no function cap.
    files: ['test/**/*.ts'],
    rules: { 'max-lines': SIZE_RULES['max-lines'] },
  },
  {
    // Plain Node scripts and the lint rule itself: no TypeScript program to type-check them against.
    files: ['scripts/**/*.mjs', 'eslint/**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        process: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        require: 'readonly',
        module: 'readonly',
      },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The dashboard's browser script, served as it is (src/local/dashboard/): no TypeScript program.
    files: ['src/local/dashboard/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'script',
      globals: {
        document: 'readonly',
        fetch: 'readonly',
        sessionStorage: 'readonly',
        setTimeout: 'readonly',
        performance: 'readonly',
        URLSearchParams: 'readonly',
      },
    },
  },
  {
    // The domain is pure: decisions only, no SDKs, no I/O, no clock of its own.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@azure/*', 'better-sqlite3', 'node:*', 'fs', 'http', 'https', 'crypto'],
              message: 'src/domain is pure: no SDK or I/O imports',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'Date', message: 'the domain gets `now` passed in' }],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'the domain is deterministic' },
      ],
    },
  },
  {
    // Use cases, ports, HTTP and the trigger talk to ports, never to SDKs directly.
    files: ['src/app/**/*.ts', 'src/ports/**/*.ts', 'src/http/**/*.ts', 'src/triggers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@azure/cosmos', '@azure/service-bus', '@azure/identity', 'better-sqlite3'],
              message: 'SDKs live in src/adapters',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
);

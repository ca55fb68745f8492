// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', '.azure-package/**', '.tools/**', 'node_modules/**', 'coverage/**', '.data/**', 'jest.config.js', 'eslint.config.mjs', 'test/support/summary-reporter.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Port methods are async by contract even where an adapter answers synchronously.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Plain Node scripts (packaging): no TypeScript program to type-check them against.
    files: ['scripts/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly' },
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
            { group: ['@azure/*', 'better-sqlite3', 'node:*', 'fs', 'http', 'https', 'crypto'], message: 'src/domain is pure: no SDK or I/O imports' },
            { group: ['../app/*', '../adapters/*', '../http/*', '../local/*', '../ports/*'], message: 'src/domain depends on nothing else' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'Date', message: 'the domain gets `now` passed in' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'the domain is deterministic' }],
    },
  },
  {
    // Use cases talk to ports, never to SDKs directly.
    files: ['src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@azure/*', 'better-sqlite3', '../adapters/*'], message: 'src/app uses ports; adapters live in src/adapters' }] },
      ],
    },
  },
  {
    // Adapters import ports, never each other, and never a host.
    files: ['src/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../cosmos/*', '../servicebus/*', '../embedded/*', '../../adapters/*'], message: 'adapters never import each other; share through src/ports' },
            { group: ['../../local/*', '../../../functions/*', '../../http/*', '../../triggers/*'], message: 'adapters do not know the hosts or the HTTP layer' },
          ],
        },
      ],
    },
  },
  {
    // Ports are interfaces: they depend on the domain at most.
    files: ['src/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../adapters/*', '../app/*', '../local/*', '../http/*', '../triggers/*', '../composition/*'], message: 'src/ports depends on nothing but the domain' }] },
      ],
    },
  },
  {
    // Shared code never imports a host: functions/ (Azure) and src/local/ (one machine) are peers on top.
    files: ['src/http/**/*.ts', 'src/triggers/**/*.ts', 'src/composition/**/*.ts', 'src/config/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../local/*', '../../local/*', '../functions/*', '../../functions/*'], message: 'shared code never imports a host' }] },
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

// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const apps = ['command-api', 'query-api', 'projectors', 'sagas', 'cli', 'embedded'];

/** An app may not import another app: they talk over HTTP, NATS and the event store only. */
const appBoundaries = apps
  .filter((app) => app !== 'embedded')
  .map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: apps
                .filter((other) => other !== app)
                .flatMap((other) => [`**/apps/${other}/**`, `apps/${other}/**`]),
              message: 'Apps never import each other (DESIGN.md §2).',
            },
          ],
        },
      ],
    },
  }));

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      // Next's build output and generated files.
      'storefront/.next*/**',
      'storefront/next-env.d.ts',
      '.tally/**',
      '*.js',
      '*.mjs',
      '*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-extraneous-class': ['error', { allowWithDecorator: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-definitions': 'off',
      '@typescript-eslint/no-invalid-void-type': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Nest's options types are classes, but its API is designed to take object literals.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/apps/**', 'apps/**'], message: 'Libraries never import apps.' },
            {
              group: ['../../libs/**', '../../../libs/**', '../../../../libs/**'],
              message: 'Import a lib through its @tally/* entry point.',
            },
          ],
        },
      ],
    },
  },
  {
    // The standalone offline verifier (docs/audit.md): plain JavaScript outside every tsconfig, linted without type information.
    files: ['tools/audit/**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { parserOptions: { projectService: false } },
  },
  ...appBoundaries,
  {
    // The composition root, and the browser tests that pick products from the demo catalog it seeds.
    files: ['apps/embedded/**/*.ts', 'storefront/e2e/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The domain is pure: no framework, no I/O, no clock (DESIGN.md §2, §5).
    files: ['libs/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@nestjs/*',
                'pg',
                'pg-*',
                '@electric-sql/*',
                'nats',
                '@eventstore/*',
                'fastify',
                'pino',
                'prom-client',
                'rxjs',
                'zod',
              ],
              message: 'libs/domain is pure: no frameworks or I/O libraries.',
            },
            {
              group: [
                'node:*',
                'fs',
                'path',
                'crypto',
                'http',
                'net',
                'os',
                'child_process',
                'events',
                'stream',
                'util',
              ],
              message: 'libs/domain is pure: no Node built-ins.',
            },
            {
              group: ['@tally/*', '**/libs/**', '**/apps/**'],
              message: 'libs/domain imports nothing but itself.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'Time comes in on the command (DESIGN.md §5).' },
        { name: 'process', message: 'libs/domain is pure.' },
        { name: 'setTimeout', message: 'libs/domain is pure.' },
        { name: 'crypto', message: 'Ids come in on the command (DESIGN.md §5).' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'libs/domain is deterministic.' },
      ],
    },
  },
  {
    // The storefront: Next.js on the server and React in the browser, type-checked with its own tsconfig
    // (the nearest one, found by the project service).
    files: ['storefront/**/*.ts', 'storefront/**/*.tsx'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // Server Actions and route handlers are async by contract even when they await nothing.
      '@typescript-eslint/require-await': 'off',
      // Next's `redirect()` and `notFound()` return `never`; JSX conditionals read better as ternaries.
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.contract.ts', 'libs/testing/**/*.ts', 'tools/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  prettier,
);

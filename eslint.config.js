// @ts-check
const { builtinModules } = require('node:module');
const tseslint = require('typescript-eslint');

/** Modules that perform I/O or read clocks outside Temporal's control. */
const IO_LIBRARIES = ['pg', '@mikro-orm/*', '@elastic/*', '@anthropic-ai/*', 'ws', 'koa', 'koa-*', '@koa/*', 'pino', 'pino-*', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'axios', 'node-fetch', 'undici'];

module.exports = tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.stack/**', 'coverage/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // em.execute() joins the entity manager's transaction; getConnection().execute() takes another
    // pooled connection outside it, so its writes escape a rollback and a transaction waiting on it
    // can starve the pool.
    files: ['src/**/*.ts', 'activities/**/*.ts', 'worker/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "MemberExpression[property.name='getConnection']", message: 'Run SQL with em.execute(), which joins the transaction in progress.' }],
    },
  },
  {
    // Workflow code is replayed deterministically: no Node builtins, no I/O libraries, and only
    // type imports from activities (values there would drag I/O into the bundle).
    files: ['workflows/**/*.ts', 'bench/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinModules.flatMap((name) => [name, `node:${name}`]).map((name) => ({ name, message: 'Workflows must not use Node builtins.' })),
          patterns: [
            { group: IO_LIBRARIES, message: 'Workflows must not perform I/O: call an activity.' },
            { group: ['**/activities', '**/activities/*'], allowTypeImports: true, message: 'Import activity types only.' },
            { group: ['**/src/*', '!**/src/contracts', '!**/src/contracts/*'], message: 'Workflows may import only src/contracts from src/.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'fetch', message: 'Workflows must not perform I/O.' }, { name: 'setInterval', message: 'Use workflow timers.' }],
    },
  },
);

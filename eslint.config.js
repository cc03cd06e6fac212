// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { plugin as sluice } from './lint/layers.js';

export default defineConfig(
  { ignores: ['node_modules/', 'data/', 'web/dist/', 'docs/bench/', '.tmp/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { process: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'error',
    },
  },
  {
    // docs/architecture.md: each src/ folder imports only folders of lower layers.
    files: ['src/**/*.ts'],
    plugins: { sluice },
    rules: { 'sluice/layers': 'error' },
  },
  {
    // The error taxonomy is closed: every error class of the project is in src/errors.
    files: ['src/**/*.ts'],
    ignores: ['src/errors/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'ClassDeclaration[superClass.name=/Error$/], ClassExpression[superClass.name=/Error$/]',
          message: 'Error classes live in src/errors (the closed taxonomy): add the class there.',
        },
      ],
    },
  },
  {
    // The web page runs in browsers: their globals, none of Node's.
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser, process: 'off' } },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // node:test's describe/it return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);

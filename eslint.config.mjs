// Lint: typed rules for promise safety and exhaustive switches; Nx tags enforce the dependency rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/coverage/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:pricing', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:stripe-client', onlyDependOnLibsWithTags: ['scope:contracts'] },
            {
              sourceTag: 'scope:api',
              onlyDependOnLibsWithTags: ['scope:pricing', 'scope:contracts', 'scope:stripe-client'],
            },
            {
              sourceTag: 'scope:bench',
              onlyDependOnLibsWithTags: ['scope:pricing', 'scope:contracts', 'scope:stripe-client'],
            },
          ],
          banTransitiveDependencies: true,
        },
      ],
    },
  },
  {
    files: ['packages/domain/pricing/**/*.ts'],
    rules: {
      // Pricing is pure: no I/O, no framework, no processor.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'http',
                'https',
                'net',
                'child_process',
                '@nestjs/*',
                'typeorm',
                'pg',
                'stripe',
                'bullmq',
                'ioredis',
              ],
              message: 'pricing must stay pure',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/api/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'stripe', message: 'only @astrix/stripe-client talks to the Stripe SDK' }] },
      ],
    },
  },
  prettier,
);

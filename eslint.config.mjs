// Lint: typed rules for promise safety and exhaustive switches; Nx tags enforce the dependency rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

const STRIPE_SDK = { name: 'stripe', message: 'only @astrix/stripe-client talks to the Stripe SDK' };
const API_MODULES = ['billing', 'accounts', 'payouts', 'notifications', 'admin'];

/**
 * Layers of apps/api/src: platform is the floor and imports no module and no composition root;
 * a module reaches another module only through its public surface (`modules/<name>/index.ts`);
 * only bootstrap/ composes. Tests may reach anywhere.
 */
function apiImportBoundaries() {
  const ignores = ['**/*.spec.ts'];
  const toBootstrap = {
    regex: '^(\\.\\./)+bootstrap(/|$)',
    message: 'only the entry points import bootstrap/ (composition roots)',
  };
  const platform = {
    files: ['apps/api/src/platform/**/*.ts'],
    ignores,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [STRIPE_SDK],
          patterns: [
            {
              regex: '^(\\.\\./)+modules(/|$)',
              message: 'platform imports no module: compose in bootstrap/',
            },
            toBootstrap,
          ],
        },
      ],
    },
  };
  const modules = API_MODULES.map((name) => {
    const others = API_MODULES.filter((other) => other !== name).join('|');
    return {
      files: [`apps/api/src/modules/${name}/**/*.ts`],
      ignores,
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: [STRIPE_SDK],
            patterns: [
              {
                // ../../payouts/payouts.service is an internal; ../../payouts (its index.ts) is the surface.
                regex: `^(\\.\\./)+(modules/)?(${others})/(?!index$)`,
                message: `${name} may use another module only through its public surface: import from the module folder (index.ts)`,
              },
              toBootstrap,
            ],
          },
        ],
      },
    };
  });
  const rest = {
    files: ['apps/api/src/*.ts', 'apps/api/src/bootstrap/**/*.ts', 'apps/api/src/migrations/**/*.ts'],
    ignores,
    rules: { 'no-restricted-imports': ['error', { paths: [STRIPE_SDK] }] },
  };
  return [platform, ...modules, rest];
}

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
  ...apiImportBoundaries(),
  prettier,
);

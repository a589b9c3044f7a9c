// Lint rules that keep the code's shape: type-aware typescript-eslint (promises always handled,
// consistent type imports, no `any`), strict boolean expressions where money and states are
// decided, no stray console output. Formatting is Prettier's (eslint-config-prettier turns off the
// rules it owns). `npm run lint` runs it; CI fails on any finding.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const MONEY_AND_STATE = [
  'src/transactions/**/*.ts',
  'src/purchase/**/*.ts',
  'src/approvals/**/*.ts',
  'src/top-up/**/*.ts',
  'src/bank-transfer/**/*.ts',
  'src/balance/**/*.ts',
  'src/reconciliation/**/*.ts',
  'src/common/money/**/*.ts',
  'src/common/idempotency/**/*.ts',
  'src/notifications/**/*.ts',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'docs/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: MONEY_AND_STATE,
    rules: {
      // Numbers (an amount of 0), nullable booleans and `any` must be compared explicitly; a string
      // (a reference, a code) is present when it is non-empty, as everywhere else.
      '@typescript-eslint/strict-boolean-expressions': [
        'error',
        {
          allowString: true,
          allowNullableString: true,
          allowNumber: false,
          allowNullableNumber: false,
          allowNullableObject: true,
          allowNullableBoolean: false,
          allowAny: false,
        },
      ],
    },
  },
  {
    // One owner of the outbox SQL (src/outbox/OutboxRepository, docs/ARCHITECTURE.md): nowhere else
    // under src/ may a string name its table; callers use its methods or its SQL fragments.
    files: ['src/**/*.ts'],
    ignores: ['src/outbox/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Literal[value=/outbox_events/]',
          message: 'The outbox SQL belongs to OutboxRepository (src/outbox/): use its methods or SQL fragments.',
        },
        {
          selector: 'TemplateElement[value.raw=/outbox_events/]',
          message: 'The outbox SQL belongs to OutboxRepository (src/outbox/): use its methods or SQL fragments.',
        },
      ],
    },
  },
  {
    // Tests, benches and scripts talk to the world: they may print, and tests read untyped JSON.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/**/*.spec.ts', 'simulator/**/*.spec.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Stand-ins for async collaborators (repositories, resolvers, clients) answer at once.
      '@typescript-eslint/require-await': 'off',
    },
  },
  prettier,
);

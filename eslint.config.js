// ESLint flat config: type-aware rules for all TypeScript, plus purity rules for the cores
// (shared/STYLE.md §2 and §8): a core never touches IO, clocks or ambient randomness.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const coreFolders = ['src/raft/**/*.ts', 'src/util/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.coracle/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'max-len': ['error', { code: 100, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
      'max-lines': ['warn', { max: 1000, skipBlankLines: true, skipComments: true }],
      'max-depth': ['error', 4],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: coreFolders,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'net', 'http', 'child_process', 'pino', 'level', '@grpc/*'],
            message: 'Cores are pure: no IO, no clock, no logging library (shared/STYLE.md §2).' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Cores take time as ticks.' },
        { name: 'setInterval', message: 'Cores take time as ticks.' },
        { name: 'process', message: 'Cores never read process state.' },
      ],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'Use the injected seeded PRNG.' },
        { object: 'Date', property: 'now', message: 'Cores take time as ticks.' },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);

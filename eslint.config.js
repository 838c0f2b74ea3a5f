// Lint rules that keep the architecture visible: core/ is plain Node (no Electron, React, DOM or
// cornerstone), and only renderer/viewer/ may touch cornerstone.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const uiOnly = ['electron', 'react', 'react-dom', 'react-dom/*', 'cornerstone-*', 'cornerstone-core', 'cornerstone-tools', 'cornerstone-wado-image-loader', 'i18next-browser-languagedetector'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'bench/tmp/**', 'dist/**', 'renderer/dist/**', 'out/**', '**/*.d.ts', 'models/**/train/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['core/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: uiOnly, message: 'core/ is plain Node: no Electron, React or cornerstone (house rule 1).' },
          { group: ['**/electron/**', '**/renderer/**', '**/cli/**'], message: 'core/ must not depend on a shell (house rule 1).' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'window', message: 'core/ has no DOM.' },
        { name: 'document', message: 'core/ has no DOM.' },
        { name: 'localStorage', message: 'core/ has no DOM, and patient data never go to browser storage.' },
      ],
    },
  },
  {
    files: ['cli/**/*.ts', 'bench/**/*.ts', 'test/**/*.{ts,mjs}', 'bin/**/*.{js,mjs}', 'build/**/*.ts', 'electron/**/*.{ts,mjs}', 'core/**/*.mjs', '*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    ignores: ['renderer/viewer/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['cornerstone-*'], message: 'Only renderer/viewer/ imports cornerstone.' }],
      }],
    },
  },
);

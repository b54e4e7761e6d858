// `npm run lint`: typescript-eslint's recommended rules with type information, React's hook
// rules, and the house style the code already follows (tabs, single quotes, no `any`).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
	{ignores: ['dist/', 'node_modules/', '.cache/', 'out/', 'exporters/assets/', 'screenshots/']},
	js.configs.recommended,
	...tseslint.configs.recommendedTypeChecked,
	{
		languageOptions: {globals: globals.node, parserOptions: {projectService: true, tsconfigRootDir: import.meta.dirname}},
		plugins: {'react-hooks': reactHooks},
		rules: {
			...reactHooks.configs.recommended.rules,
			indent: ['error', 'tab', {SwitchCase: 1}],
			quotes: ['error', 'single', {avoidEscape: true}],
			semi: ['error', 'always'],
			'no-var': 'error',
			'prefer-const': 'error',
			eqeqeq: ['error', 'always', {null: 'ignore'}],
			// Terminal output is our business: escape sequences in patterns are meant.
			'no-control-regex': 'off',
			'@typescript-eslint/no-explicit-any': 'error',
			'@typescript-eslint/consistent-type-imports': ['error', {fixStyle: 'inline-type-imports'}],
			'@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_'}],
		},
	},
	{
		// node:test's test() and describe() return promises the runner awaits; tests read JSON freely.
		files: ['test/**'],
		rules: {
			'@typescript-eslint/no-floating-promises': 'off',
			'@typescript-eslint/no-unsafe-member-access': 'off',
			'@typescript-eslint/no-unsafe-assignment': 'off',
			'@typescript-eslint/no-unsafe-argument': 'off',
			'@typescript-eslint/no-unsafe-call': 'off',
			'@typescript-eslint/no-unsafe-return': 'off',
		},
	},
	{
		files: ['**/*.js', '**/*.mjs'],
		...tseslint.configs.disableTypeChecked,
	},
);

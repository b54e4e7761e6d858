// The one line editor of the live view: the filter, the flame graph's search, the baseline
// path of a diff export. Its state lives in a ref as well as in React state, so keys that
// arrive in one event (a paste) each see the line as the previous key left it.
import type {Key} from 'ink';
import {useCallback, useRef, useState} from 'react';

export type PromptKind = 'filter' | 'search' | 'baseline';

export type PromptState = {readonly kind: PromptKind; readonly draft: string};

export type PromptOutcome =
	| {readonly type: 'edit'; readonly draft: string}
	| {readonly type: 'submit'; readonly draft: string}
	| {readonly type: 'cancel'}
	| {readonly type: 'ignored'};

/** What one key does to a line being typed. */
export function editLine(draft: string, input: string, key: Key): PromptOutcome {
	if (key.escape) {
		return {type: 'cancel'};
	}

	if (key.return) {
		return {type: 'submit', draft};
	}

	if (key.backspace || key.delete) {
		return {type: 'edit', draft: [...draft].slice(0, -1).join('')};
	}

	if (input && !key.ctrl && !key.meta && !key.tab) {
		return {type: 'edit', draft: draft + input};
	}

	return {type: 'ignored'};
}

export type Prompt = {
	readonly prompt: PromptState | undefined;
	/** The prompt as the last key left it (keys of one input event share a render). */
	readonly current: () => PromptState | undefined;
	readonly open: (kind: PromptKind, initial?: string) => void;
	/** Applies one key to the open prompt: closes it on submit or cancel. */
	readonly key: (input: string, key: Key) => PromptOutcome;
};

export function usePrompt(): Prompt {
	const ref = useRef<PromptState | undefined>(undefined);
	const [prompt, setPrompt] = useState<PromptState | undefined>(undefined);
	const set = useCallback((next: PromptState | undefined) => {
		ref.current = next;
		setPrompt(next);
	}, []);
	const open = useCallback((kind: PromptKind, initial = '') => {
		set({kind, draft: initial});
	}, [set]);
	const onKey = useCallback((input: string, key: Key): PromptOutcome => {
		const current = ref.current;
		if (!current) {
			return {type: 'ignored'};
		}

		const outcome = editLine(current.draft, input, key);
		if (outcome.type === 'edit') {
			set({kind: current.kind, draft: outcome.draft});
		} else if (outcome.type === 'submit' || outcome.type === 'cancel') {
			set(undefined);
		}

		return outcome;
	}, [set]);
	const current = useCallback(() => ref.current, []);
	return {prompt, current, open, key: onKey};
}

/** The prompt line's text. */
export function promptText(prompt: PromptState): string {
	switch (prompt.kind) {
		case 'filter': {
			return `Function filter: ${prompt.draft}_   (Enter keeps, Esc clears)`;
		}

		case 'search': {
			return `Highlight: ${prompt.draft}_   (Enter keeps, Esc clears)`;
		}

		case 'baseline': {
			return `Baseline binary profile for the diff: ${prompt.draft}_   (Enter exports, Esc cancels)`;
		}
	}
}

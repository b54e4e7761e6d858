// Keys one at a time (use-keys.ts), the one line editor (use-prompt.ts), the live view's UI
// reducer and the key table: no Python needed.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Text, type Key} from 'ink';
import {render} from 'ink-testing-library';
import {useState} from 'react';
import {Footer, footerFit} from '../../components/footer.js';
import {helpLines} from '../../components/help.js';
import {initialUiState, liveUiReducer} from '../../components/live-state.js';
import {columnAt, columnSort, layoutColumns} from '../../components/function-table/columns.js';
import {parseMouse, splitKeys, useKeys} from '../../components/use-keys.js';
import {editLine} from '../../components/use-prompt.js';
import {commandFor, helpBindings, liveCommands} from '../../live/key-bindings.js';
import {renderAt, widestLine} from '../render-at.js';

const delay = async (ms: number) => new Promise(resolve => {
	setTimeout(resolve, ms);
});
const plain = (input: string): [string, Key] => splitKeys(input, {} as Key)[0]!;

test('a run of characters in one event is split into its keys, each as Ink reports it alone', () => {
	const none = {upArrow: false, downArrow: false, return: false, backspace: false, ctrl: false} as Key;
	const keys = splitKeys('jk/a\r\u007FQ', none);
	assert.deepEqual(keys.map(([input]) => input), ['j', 'k', '/', 'a', '', '', 'Q']);
	assert.equal(keys[4]![1].return, true);
	assert.equal(keys[5]![1].backspace, true);
	assert.equal(keys[6]![1].shift, true);
	// One key, or an escape sequence Ink already parsed, is passed on as it is.
	assert.deepEqual(splitKeys('j', none), [['j', none]]);
	const down = {...none, downArrow: true};
	assert.deepEqual(splitKeys('', down), [['', down]]);
	assert.equal(splitKeys('\u0001', none)[0]![0], '\u0001', 'a lone control character stays as Ink parsed it');
	assert.deepEqual(plain('x'), ['x', {} as Key]);
});

test('useKeys calls the handler once per key of a pasted run, in order', async () => {
	const seen: string[] = [];
	function Probe() {
		const [count, setCount] = useState(0);
		useKeys((input, key) => {
			seen.push(key.return ? '⏎' : input);
			setCount(value => value + 1);
		});
		return <Text>{`keys ${count}`}</Text>;
	}

	const view = render(<Probe />);
	await delay(50);
	view.stdin.write('jjk\r');
	await delay(100);
	assert.deepEqual(seen, ['j', 'j', 'k', '⏎']);
	assert.equal(view.lastFrame(), 'keys 4');
	view.unmount();
});

test('the line editor: typing appends, Backspace removes a character (not a UTF-16 half), Enter submits, Esc cancels', () => {
	const none = {} as Key;
	assert.deepEqual(editLine('wor', 'k', none), {type: 'edit', draft: 'work'});
	assert.deepEqual(editLine('a🔥', '', {backspace: true} as Key), {type: 'edit', draft: 'a'});
	assert.deepEqual(editLine('x', '', {return: true} as Key), {type: 'submit', draft: 'x'});
	assert.deepEqual(editLine('x', '', {escape: true} as Key), {type: 'cancel'});
	assert.deepEqual(editLine('x', 'c', {ctrl: true} as Key), {type: 'ignored'});
});

test('the UI reducer keeps the cursor inside the rows and scrolls overlays within their lines', () => {
	let state = liveUiReducer(initialUiState, {type: 'move', by: 5, count: 3});
	assert.equal(state.selected, 2);
	state = liveUiReducer(state, {type: 'move', by: -10, count: 3});
	assert.equal(state.selected, 0);
	state = liveUiReducer(state, {type: 'open', overlay: 'help'});
	state = liveUiReducer(state, {type: 'scroll', by: 100, max: 7});
	assert.equal(state.scroll, 7);
	state = liveUiReducer(state, {type: 'message', text: 'Export failed: x', error: true});
	const id = state.message!.id;
	assert.equal(liveUiReducer(state, {type: 'clearMessage', id: id + 1}).message?.text, 'Export failed: x', 'a newer message is not cleared by an older timer');
	assert.equal(liveUiReducer(state, {type: 'clearMessage', id}).message, undefined);
});

test('one key table: every command is in help, each key means one command per screen', () => {
	const described = new Set(helpLines(true).map(line => line.text));
	for (const binding of helpBindings(true)) {
		assert.ok(described.has(binding.description), binding.keys);
	}

	for (const screen of ['table', 'flame', 'source'] as const) {
		const taken = new Map<string, string>();
		for (const [name, binding] of Object.entries(liveCommands)) {
			if ((binding.screens as readonly string[]).includes(screen)) {
				assert.ok(!taken.has(binding.keys) || binding.keys === 'Enter', `${screen}: ${binding.keys} is both ${taken.get(binding.keys)} and ${name}`);
				taken.set(binding.keys, name);
			}
		}
	}

	assert.equal(commandFor('table', 'q', {} as Key), 'quit');
	assert.equal(commandFor('table', 's', {} as Key), 'sortNext');
});

for (const width of [80, 100, 200]) {
	test(`the footer at ${width} columns keeps "h/? help" and "q quit", within the width`, () => {
		const shown = footerFit(width, true);
		assert.ok(shown.includes(liveCommands.help) && shown.includes(liveCommands.quit));
		const view = renderAt(<Footer width={width} subprocesses />, width, 24);
		const frame = view.lastFrame();
		assert.match(frame, /h\/\? help/);
		assert.match(frame, /q quit/);
		assert.ok(widestLine(frame) <= width - 1, frame);
		view.unmount();
	});
}

test('mouse reports are read (SGR 1006), never typed as keys; a click on a heading maps to its column\'s sort order', async () => {
	assert.deepEqual(parseMouse('[<0;12;4M'), {button: 0, x: 12, y: 4, press: true});
	assert.deepEqual(parseMouse('\u001B[<65;3;9m'), {button: 65, x: 3, y: 9, press: false});
	assert.equal(parseMouse('[A'), undefined);
	const columns = layoutColumns(120);
	// Column 0-based x: the cursor takes 2, then each column and its gutter.
	let x = 2;
	for (const column of columns) {
		assert.equal(columnAt(columns, x)?.id, column.id);
		assert.equal(columnAt(columns, x + column.width)?.id, column.id, 'the gutter belongs to the column before it');
		x += column.width + 1;
	}

	assert.equal(columnSort.cumtime, 'cumulative');
	assert.equal(columnSort.tottime, 'direct');
	const seen: string[] = [];
	const mice: number[] = [];
	function Probe() {
		useKeys(input => seen.push(input), {onMouse: event => mice.push(event.button)});
		return <Text>probe</Text>;
	}

	const view = render(<Probe />);
	await delay(50);
	view.stdin.write('\u001B[<64;10;5M');
	await delay(50);
	assert.deepEqual(mice, [64]);
	assert.deepEqual(seen, [], 'a wheel report types nothing');
	view.unmount();
});

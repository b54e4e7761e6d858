// ink-testing-library's render, at a chosen terminal size: its fake stdout is fixed at 100
// columns with no rows, and the layout items must hold at 80×24 and 80×20.
import {EventEmitter} from 'node:events';
import {render as inkRender} from 'ink';
import type {ReactElement} from 'react';

class SizedStdout extends EventEmitter {
	readonly frames: string[] = [];
	readonly isTTY = true;
	readonly columns: number;
	readonly rows: number;
	constructor(columns: number, rows: number) {
		super();
		this.columns = columns;
		this.rows = rows;
	}

	write = (frame: string) => {
		this.frames.push(frame);
		return true;
	};
}

class Stdin extends EventEmitter {
	readonly isTTY = true;
	private data: string | null = null;
	write = (data: string) => {
		this.data = data;
		this.emit('readable');
		this.emit('data', data);
	};

	read = () => {
		const {data} = this;
		this.data = null;
		return data;
	};

	setEncoding() {}
	setRawMode() {}
	resume() {}
	pause() {}
	ref() {}
	unref() {}
}

export type SizedRender = {
	readonly lastFrame: () => string;
	readonly stdin: {write: (data: string) => void};
	readonly unmount: () => void;
	readonly rerender: (tree: ReactElement) => void;
};

export function renderAt(tree: ReactElement, columns: number, rows: number): SizedRender {
	const stdout = new SizedStdout(columns, rows);
	const stdin = new Stdin();
	const instance = inkRender(tree, {
		stdout: stdout as unknown as NodeJS.WriteStream, stderr: new SizedStdout(columns, rows) as unknown as NodeJS.WriteStream,
		stdin: stdin as unknown as NodeJS.ReadStream, debug: true, exitOnCtrlC: false, patchConsole: false,
	});
	return {lastFrame: () => stdout.frames.at(-1) ?? '', stdin, unmount: instance.unmount, rerender: instance.rerender};
}

/** Every line of a frame fits in `columns - 1` (the last column would make some terminals wrap). */
export function widestLine(frame: string): number {
	return Math.max(0, ...frame.split('\n').map(line => [...line.replaceAll(/\u001B\[[\d;]*m/g, '')].length));
}

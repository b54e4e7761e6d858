// The terminal's size, updated on resize (Ink 6 has no useWindowSize; this is the Ink 7 hook's idea).
// Streams without a size (ink-testing-library, pipes) get 100×24.
import {useStdout} from 'ink';
import {useEffect, useState} from 'react';

export type WindowSize = {readonly columns: number; readonly rows: number};

function sizeOf(stdout: NodeJS.WriteStream): WindowSize {
	return {columns: stdout.columns || 100, rows: stdout.rows || 24};
}

export function useWindowSize(): WindowSize {
	const {stdout} = useStdout();
	const [size, setSize] = useState(() => sizeOf(stdout));
	useEffect(() => {
		const onResize = () => {
			setSize(sizeOf(stdout));
		};

		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout]);
	return size;
}

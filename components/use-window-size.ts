// The terminal's size, updated on resize (Ink 6 has no useWindowSize; this is the Ink 7 hook's idea).
// Streams without a size (ink-testing-library, pipes) get 100×24.
import {useStdout} from 'ink';
import {useEffect, useState} from 'react';

export type WindowSize = {readonly columns: number; readonly rows: number};

export function useWindowSize(): WindowSize {
	const {stdout} = useStdout();
	const read = (): WindowSize => ({columns: stdout.columns || 100, rows: stdout.rows || 24});
	const [size, setSize] = useState(read);
	useEffect(() => {
		const onResize = () => {
			setSize(read());
		};

		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout]);
	return size;
}

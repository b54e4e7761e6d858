// The whole TUI: the picker until a process is chosen, then the live view of it.
import {useApp} from 'ink';
import {useCallback, useEffect, useState} from 'react';
import type {LiveProcesses} from '../live/live-processes.js';
import type {LiveStore} from '../live/live-store.js';
import type {ProcessEntry, ProcessLister} from '../sampler/process-list.js';
import {LiveView} from './live-view.js';
import {Picker} from './picker/picker.js';

export type AppProps = {
	/** Start on this live view (attach --live, run --live); else the picker. */
	readonly store?: LiveStore;
	/** --subprocesses: the store's process and its Python children, to switch between. */
	readonly processes?: LiveProcesses;
	readonly lister?: Pick<ProcessLister, 'list'>;
	/** Makes (and starts) the store for a picked process. */
	readonly attach?: (entry: ProcessEntry) => LiveStore;
	/** Tells the caller which store is live, for cleanup on exit. */
	readonly onStore?: (store: LiveStore) => void;
};

export function App({store: initialStore, processes, lister, attach, onStore}: AppProps) {
	const {exit} = useApp();
	const [store, setStore] = useState(initialStore);
	const quit = useCallback(() => {
		exit();
	}, [exit]);
	const pick = useCallback((entry: ProcessEntry) => {
		if (attach) {
			setStore(attach(entry));
		}
	}, [attach]);
	useEffect(() => {
		if (store) {
			onStore?.(store);
		}
	}, [store, onStore]);

	if (store) {
		return <LiveView store={store} {...(store === initialStore && processes ? {processes} : {})} onQuit={quit} />;
	}

	return lister ? <Picker lister={lister} onPick={pick} onQuit={quit} /> : null;
}

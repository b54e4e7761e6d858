// Runs in <head>, before the page is drawn: the reader's last theme on this machine, else the
// system's preference, so a dark page never flashes white. The page script toggles it.
(function () {
	'use strict';
	let theme = null;
	try {
		theme = window.localStorage.getItem('tachyon-top-theme');
	} catch {
		// Storage can be off for file: pages; the system preference still applies.
	}

	if (theme !== 'dark' && theme !== 'light') {
		theme = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
	}

	document.documentElement.dataset.theme = theme;
})();

// Heatmap file page: switch the colour scale between self and cumulative counts, and show
// the hottest line when the page opens without a line in its address.
(function () {
	'use strict';
	const source = document.getElementById('source');
	const select = document.getElementById('colour-by');
	select.addEventListener('change', () => {
		source.className = 'by-' + select.value;
	});
	const hottest = document.querySelector('.code-line.hottest');
	if (!location.hash && hottest) {
		hottest.scrollIntoView({block: 'center'});
	}
})();

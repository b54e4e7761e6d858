// Page script of the flame graph and the diff flame graph. Reads window.PROFILE_DATA (written
// by exporters/flamegraph.ts or diff-flamegraph.ts) and draws it with the inlined
// d3-flame-graph build. Every profile string reaches the DOM through textContent or d3's
// .text(), never as markup.
(function () {
	'use strict';
	const data = window.PROFILE_DATA;
	const strings = data.strings;
	const isDiff = data.kind === 'diff';
	const $ = id => document.getElementById(id);

	function formatCount(value) {
		return Math.round(value).toLocaleString('en-US');
	}

	function formatPercent(part, whole) {
		return whole > 0 ? (100 * part / whole).toFixed(2) + '%' : '0.00%';
	}

	// --- Header: title, stats, thread selector -------------------------------------------------
	const stats = data.stats;
	$('stats').textContent = [
		'Python ' + stats.pythonVersion,
		'pid ' + stats.pid,
		stats.mode + ' mode',
		formatCount(stats.samples) + ' samples',
		stats.durationS.toFixed(2) + ' s',
		formatCount(stats.rate) + ' Hz',
		'errors ' + stats.errorRate.toFixed(2) + '%',
		'missed ' + stats.missedRate.toFixed(2) + '%',
	].concat(stats.threadStates.map(state => state.label + ' ' + state.percent.toFixed(1) + '%')).join('  ·  ');

	const threadSelect = $('thread');
	for (let index = 0; index < data.threads.length; index++) {
		const thread = data.threads[index];
		const option = document.createElement('option');
		option.value = String(index);
		option.textContent = (thread.name || 'thread') + ' (tid ' + thread.tid + ', ' + formatCount(thread.samples) + ' samples)';
		threadSelect.append(option);
	}

	// --- Tree for d3-flame-graph, for all threads or one ---------------------------------------
	function threadValues(node, thread) {
		const t = node.t;
		for (let index = 0; index < t.length; index += 3) {
			if (t[index] === thread) {
				return [t[index + 1], t[index + 2]];
			}
		}

		return [0, 0];
	}

	let normalise = false;
	let baselineScale = 1;

	function chartData(thread) {
		const convert = json => {
			const value = thread < 0 ? json.v : threadValues(json, thread)[0];
			const node = {name: strings[json.n], value, ref: json};
			if (json.c) {
				const children = [];
				for (const child of json.c) {
					const converted = convert(child);
					if (converted.value > 0) {
						children.push(converted);
					}
				}

				if (children.length > 0) {
					node.children = children;
				}
			}

			return node;
		};

		return convert(data.tree);
	}

	// --- Colours -------------------------------------------------------------------------------
	// Diff: hue says direction (red slower, blue faster), saturation says how much, by the
	// change in the frame's total samples against the baseline.
	function diffColour(json) {
		if (json.nw) {
			return '#8e24aa';
		}

		const before = json.b * baselineScale;
		const after = json.v;
		const biggest = Math.max(before, after);
		const change = biggest > 0 ? (after - before) / biggest : 0;
		const strength = Math.min(1, Math.abs(change) * 1.5);
		if (Math.abs(change) < 0.02) {
			return 'rgb(200, 200, 200)';
		}

		const fade = Math.round(220 - (strength * 170));
		return change > 0 ? `rgb(235, ${fade}, ${fade})` : `rgb(${fade}, ${fade}, 235)`;
	}

	// --- Tooltip -------------------------------------------------------------------------------
	const tooltip = $('tooltip');
	let mouseX = 0;
	let mouseY = 0;
	document.addEventListener('mousemove', event => {
		mouseX = event.clientX;
		mouseY = event.clientY;
		if (tooltip.style.display === 'block') {
			placeTooltip();
		}
	});

	function placeTooltip() {
		const width = tooltip.offsetWidth;
		const height = tooltip.offsetHeight;
		tooltip.style.left = Math.max(4, Math.min(mouseX + 14, window.innerWidth - width - 4)) + 'px';
		tooltip.style.top = Math.max(4, Math.min(mouseY + 14, window.innerHeight - height - 4)) + 'px';
	}

	function tooltipLine(label, value) {
		const row = document.createElement('div');
		const key = document.createElement('span');
		key.className = 'key';
		key.textContent = label;
		row.append(key, document.createTextNode(value));
		return row;
	}

	// --opcodes: the node's busiest instructions (all threads), flattened by the exporter as
	// [name, samples, specialised] per instruction, then the count and samples left out.
	function opcodeLines(op) {
		const block = document.createElement('div');
		block.className = 'opcodes';
		let total = op.at(-1);
		for (let index = 0; index + 2 < op.length - 1; index += 3) {
			total += op[index + 1];
		}

		const heading = document.createElement('div');
		heading.className = 'key';
		// Counted over every thread: the exporter keeps no per-thread opcode counts.
		heading.textContent = selectedThread < 0 ? 'Opcodes' : 'Opcodes (all threads)';
		block.append(heading);
		for (let index = 0; index + 2 < op.length - 1; index += 3) {
			const row = document.createElement('div');
			row.className = op[index + 2] ? 'opcode specialized' : 'opcode';
			const name = document.createElement('span');
			name.className = 'opname';
			name.textContent = strings[op[index]];
			row.append(name, document.createTextNode(' ' + formatPercent(op[index + 1], total) + ' (' + formatCount(op[index + 1]) + ')'));
			block.append(row);
		}

		if (op.at(-2) > 0) {
			const more = document.createElement('div');
			more.className = 'opcode more';
			more.textContent = '… and ' + op.at(-2) + ' more (' + formatPercent(op.at(-1), total) + ')';
			block.append(more);
		}

		return block;
	}

	function showTooltip(d) {
		const json = d.data.ref;
		const total = currentRoot().value;
		const value = d.value;
		tooltip.replaceChildren();
		const title = document.createElement('div');
		title.className = 'title';
		title.textContent = strings[json.u] || strings[json.n];
		tooltip.append(title);
		if (strings[json.f]) {
			tooltip.append(tooltipLine('File', strings[json.f] + ':' + json.l));
		}

		if (json.src !== undefined) {
			const code = document.createElement('div');
			code.className = 'source';
			code.textContent = json.l + ': ' + strings[json.src];
			tooltip.append(code);
		}

		tooltip.append(tooltipLine('Samples', formatCount(value) + ' (' + formatPercent(value, total) + ')'));
		const self = selectedThread < 0 ? json.s : threadValues(json, selectedThread)[1];
		tooltip.append(tooltipLine('Self', formatCount(self) + ' (' + formatPercent(self, total) + ')'));
		if (json.op !== undefined) {
			tooltip.append(opcodeLines(json.op));
		}

		if (isDiff) {
			if (json.nw) {
				tooltip.append(tooltipLine('Baseline', 'not present (new in this run)'));
			} else {
				const before = json.b * baselineScale;
				tooltip.append(tooltipLine('Before', formatCount(before) + ' samples (self ' + formatCount(json.bs * baselineScale) + ')'));
				tooltip.append(tooltipLine('After', formatCount(json.v) + ' samples (self ' + formatCount(json.s) + ')'));
				const change = before > 0 ? ((json.v - before) / before) * 100 : 100;
				tooltip.append(tooltipLine('Change', (change >= 0 ? '+' : '') + change.toFixed(1) + '%' + (json.v > before ? ' slower' : (json.v < before ? ' faster' : ''))));
			}
		}

		tooltip.style.display = 'block';
		placeTooltip();
	}

	// --- Chart ---------------------------------------------------------------------------------
	const container = $('chart');
	let selectedThread = -1;
	const chart = flamegraph()
		.width(Math.max(400, container.clientWidth))
		.cellHeight(18)
		.transitionDuration(200)
		.minFrameSize(1)
		.resetHeightOnZoom(true)
		.sort(false)
		.setSearchMatch((d, term) => Boolean(term) && d.data.name.toLowerCase().includes(term.toLowerCase()))
		.setSearchHandler((results, sum, total) => {
			$('search-result').textContent = results.length > 0
				? results.length + ' frames match, ' + formatPercent(sum, total) + ' of samples'
				: ($('search').value ? 'no match' : '');
		})
		.onHover(showTooltip)
		.onClick(() => {
			tooltip.style.display = 'none';
			$('reset').disabled = false;
		});
	if (isDiff) {
		chart.setColorMapper((d, original) => (d.highlight ? original : diffColour(d.data.ref)));
	}

	// The library draws titles into the SVG; the page header has ours.
	chart.title('');

	// The processed hierarchy d3 binds to the container: its value is what is on screen.
	function currentRoot() {
		return d3.select(container).datum();
	}

	// SVG stays fast up to a few thousand frames: above that, frames narrower than the
	// (DRAWN_LIMIT)th widest are left out until a zoom makes them wide enough to matter.
	const DRAWN_LIMIT = 6000;
	function fitDetail(tree) {
		const values = [];
		const stack = [tree];
		while (stack.length > 0) {
			const node = stack.pop();
			values.push(node.value);
			if (node.children) {
				for (const child of node.children) {
					stack.push(child);
				}
			}
		}

		const width = chart.width();
		let minimum = 1;
		if (values.length > DRAWN_LIMIT && tree.value > 0) {
			values.sort((a, b) => b - a);
			// Strictly wider than the cut: ties at the cut value are left out too.
			minimum = Math.max(1, (values[DRAWN_LIMIT] / tree.value) * width * 1.0001);
		}

		$('detail-note').textContent = minimum > 1
			? values.length.toLocaleString('en-US') + ' frames: the narrowest are hidden; click a frame to zoom in on them'
			: '';

		chart.minFrameSize(minimum);
		// Animating thousands of frames costs more than it shows.
		chart.transitionDuration(values.length > 2000 ? 0 : 200);
	}

	function draw() {
		tooltip.style.display = 'none';
		fitDetail(chartData(selectedThread));
		if (d3.select(container).select('svg').empty()) {
			d3.select(container).datum(chartData(selectedThread)).call(chart);
		} else {
			chart.update(chartData(selectedThread));
		}

		$('reset').disabled = true;
		const term = $('search').value.trim();
		if (term) {
			chart.search(term);
		}
	}

	if (data.tree.v === 0) {
		$('chart').textContent = 'No samples were collected.';
		return;
	}

	container.addEventListener('mouseleave', () => {
		tooltip.style.display = 'none';
	});
	draw();

	$('search').addEventListener('input', () => {
		const term = $('search').value.trim();
		if (term) {
			chart.search(term);
		} else {
			chart.clear();
			$('search-result').textContent = '';
		}
	});
	$('reset').addEventListener('click', () => {
		chart.resetZoom();
		$('reset').disabled = true;
	});
	threadSelect.addEventListener('change', () => {
		selectedThread = Number(threadSelect.value);
		draw();
	});
	if (isDiff) {
		const checkbox = $('normalise');
		checkbox.addEventListener('change', () => {
			normalise = checkbox.checked;
			baselineScale = normalise && data.diff.baselineSamples > 0 ? data.diff.currentSamples / (data.diff.baselineSamples * data.diff.scale) : 1;
			chart.update();
		});
	}

	window.addEventListener('resize', () => {
		chart.width(Math.max(400, container.clientWidth));
		chart.update();
	});
})();

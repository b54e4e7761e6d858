// Page script of the flame graph and the diff flame graph. Reads window.PROFILE_DATA (written
// by exporters/flamegraph.ts or diff-flamegraph.ts) and draws it with the inlined
// d3-flame-graph build. Every profile string reaches the DOM through textContent or d3's
// .text(), never as markup.
//
// Views: the call tree (root → callees) or the inverted tree (each function that ran its own
// code at the root, the call paths that reached it beyond), drawn as a flame (root at the
// bottom) or an icicle (root at the top); for all threads or one. The sidebar lists the hot
// spots (functions by their own samples) of what is shown, and how threads spent their time.
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

	// --- Theme (theme.js chose it before the page was drawn) ----------------------------------
	const themeButton = $('theme');
	function applyTheme(theme) {
		document.documentElement.dataset.theme = theme;
		themeButton.textContent = theme === 'dark' ? 'Light theme' : 'Dark theme';
		themeButton.setAttribute('aria-pressed', String(theme === 'dark'));
	}

	applyTheme(document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light');
	themeButton.addEventListener('click', () => {
		const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
		applyTheme(next);
		try {
			window.localStorage.setItem('tachyon-top-theme', next);
		} catch {
			// Not remembered where storage is off; the page still switches.
		}
	});

	// --- Header: stats, thread selector; sidebar: thread states --------------------------------
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

	function barRow(label, value, fraction) {
		const row = document.createElement('div');
		row.className = 'row';
		const text = document.createElement('div');
		text.className = 'label';
		const name = document.createElement('span');
		name.textContent = label;
		const figure = document.createElement('span');
		figure.textContent = value;
		text.append(name, figure);
		const bar = document.createElement('div');
		bar.className = 'bar';
		const fill = document.createElement('span');
		fill.style.width = Math.max(0, Math.min(100, fraction * 100)) + '%';
		bar.append(fill);
		row.append(text, bar);
		return row;
	}

	if (stats.threadStates.length === 0) {
		$('runtime').hidden = true;
	} else {
		$('runtime-bars').replaceChildren(...stats.threadStates.map(state => barRow(state.label, state.percent.toFixed(1) + '%', state.percent / 100)));
	}

	const threadSelect = $('thread');
	for (let index = 0; index < data.threads.length; index++) {
		const thread = data.threads[index];
		const option = document.createElement('option');
		option.value = String(index);
		option.textContent = (thread.name || 'thread') + ' (tid ' + thread.tid + ', ' + formatCount(thread.samples) + ' samples)';
		threadSelect.append(option);
	}

	// A diff compares all threads of both runs: the baseline has no per-thread figures to set
	// one thread against, so the page offers no thread choice.
	if (isDiff) {
		threadSelect.closest('label').hidden = true;
	}

	// --- Trees for d3-flame-graph ---------------------------------------------------------------
	function threadValues(node, thread) {
		const t = node.t;
		for (let index = 0; index < t.length; index += 3) {
			if (t[index] === thread) {
				return [t[index + 1], t[index + 2]];
			}
		}

		return [0, 0];
	}

	function valueOf(json, thread) {
		return thread < 0 ? json.v : threadValues(json, thread)[0];
	}

	function selfOf(json, thread) {
		return thread < 0 ? json.s : threadValues(json, thread)[1];
	}

	/** The call tree as exported, for all threads or one. */
	function callTree(thread) {
		const convert = json => {
			const node = {name: strings[json.n], value: valueOf(json, thread), ref: json};
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

	/**
	 * The inverted tree: every frame that ran its own code (self samples) becomes a root child,
	 * its caller a child of that, and so on to the outermost frame; a node's value is the
	 * samples spent in its top function when reached through that path. In a diff each node
	 * carries the baseline's self samples of the same paths.
	 */
	function invertedTree(thread) {
		const top = data.tree;
		const root = {name: strings[top.n], value: valueOf(top, thread), ref: top, id: 0};
		// One map for the whole tree, keyed by (parent node id, frame): cheaper than a map per node.
		const nodes = new Map();
		const all = [root];
		const path = [];
		const stack = [top, 0];
		while (stack.length > 0) {
			const depth = stack.pop();
			const json = stack.pop();
			path[depth] = json;
			const self = depth > 0 ? selfOf(json, thread) : 0;
			if (self > 0) {
				let node = root;
				for (let index = depth; index >= 1; index--) {
					const frame = path[index];
					const key = node.id + '|' + frame.n + '|' + frame.f + '|' + frame.u + '|' + frame.l;
					let child = nodes.get(key);
					if (child === undefined) {
						child = {
							name: strings[frame.n],
							value: 0,
							ref: {n: frame.n, f: frame.f, u: frame.u, l: frame.l, src: frame.src, op: undefined, v: 0, s: 0, t: [], b: 0, bs: 0, nw: 0, inverted: true},
							id: all.length,
							children: undefined,
						};
						if (index === depth) {
							child.ref.op = frame.op;
						}

						all.push(child);
						nodes.set(key, child);
						(node.children || (node.children = [])).push(child);
					}

					child.value += self;
					child.ref.v += self;
					if (index === depth) {
						child.ref.s += self;
					}

					if (isDiff) {
						child.ref.b += json.bs || 0;
						if (index === depth) {
							child.ref.bs += json.bs || 0;
						}
					}

					node = child;
				}
			}

			if (json.c) {
				for (const child of json.c) {
					stack.push(child, depth + 1);
				}
			}
		}

		if (isDiff && root.children) {
			// A function's own samples before, over the whole baseline (its callers beyond
			// compare the paths both runs took).
			for (const child of root.children) {
				const before = baselineSelf().get(strings[child.ref.f] + '\0' + strings[child.ref.u] + '\0' + child.ref.l) || 0;
				child.ref.b = before;
				child.ref.bs = before;
			}
		}

		for (const node of all) {
			if (isDiff && node !== root && node.ref.b === 0) {
				node.ref.nw = 1;
			}

			if (node.children) {
				node.children.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1));
			}
		}

		return root;
	}

	// --- Hot spots: functions by their own samples, for what is shown ---------------------------
	let baselineSelfCache = null;
	/** Diff: the baseline's own samples by "file\0function\0line", over every baseline path. */
	function baselineSelf() {
		if (baselineSelfCache === null) {
			baselineSelfCache = new Map();
			const flat = data.diff.baselineSelf;
			for (let index = 0; index < flat.length; index += 4) {
				baselineSelfCache.set(strings[flat[index]] + '\0' + strings[flat[index + 1]] + '\0' + flat[index + 2], flat[index + 3]);
			}
		}

		return baselineSelfCache;
	}

	/** Per function (file, qualified name): own samples, the line with most of them, and in a diff the baseline's. */
	function hotSpots(thread) {
		const functions = new Map();
		const stack = data.tree.c ? [...data.tree.c] : [];
		while (stack.length > 0) {
			const json = stack.pop();
			const self = selfOf(json, thread);
			if (self > 0) {
				const key = json.f + ':' + json.u;
				let entry = functions.get(key);
				if (entry === undefined) {
					entry = {f: json.f, u: json.u, n: json.n, self: 0, baseline: 0, lines: new Map()};
					functions.set(key, entry);
				}

				entry.self += self;
				entry.lines.set(json.l, (entry.lines.get(json.l) || 0) + self);
			}

			if (json.c) {
				stack.push(...json.c);
			}
		}

		const spots = [...functions.values()].filter(entry => entry.self > 0).sort((a, b) => b.self - a.self || a.u - b.u).slice(0, 10);
		if (isDiff) {
			// Before: the function's own samples over the whole baseline, paths gone since included.
			const byFunction = new Map();
			for (const [key, samples] of baselineSelf()) {
				const functionKey = key.slice(0, key.lastIndexOf('\0'));
				byFunction.set(functionKey, (byFunction.get(functionKey) || 0) + samples);
			}

			for (const spot of spots) {
				spot.baseline = byFunction.get(strings[spot.f] + '\0' + strings[spot.u]) || 0;
			}
		}

		return spots;
	}

	let pinned = null;

	function renderHotSpots() {
		const list = $('hotspot-list');
		const total = valueOf(data.tree, selectedThread);
		const spots = hotSpots(selectedThread);
		const most = spots.length > 0 ? spots[0].self : 1;
		list.replaceChildren();
		for (const spot of spots) {
			const item = document.createElement('li');
			item.dataset.key = spot.f + ':' + spot.u;
			const name = document.createElement('div');
			name.className = 'func';
			name.textContent = strings[spot.u] || strings[spot.n];
			item.append(name);
			const file = strings[spot.f];
			if (file) {
				let line = 0;
				let best = -1;
				for (const [number, samples] of spot.lines) {
					if (samples > best) {
						best = samples;
						line = number;
					}
				}

				const where = document.createElement('div');
				where.className = 'where';
				where.textContent = file.split('/').pop() + ':' + line;
				where.title = file + ':' + line;
				item.append(where);
			}

			const figures = document.createElement('div');
			figures.className = 'figures';
			const share = document.createElement('span');
			share.className = 'share';
			share.textContent = formatPercent(spot.self, total);
			const count = document.createElement('span');
			count.className = 'samples';
			count.textContent = formatCount(spot.self) + ' samples';
			figures.append(share, count);
			if (isDiff) {
				figures.append(changeBadge(spot));
			}

			item.append(figures);
			const bar = document.createElement('div');
			bar.className = 'bar';
			const fill = document.createElement('span');
			fill.style.width = (100 * spot.self / most) + '%';
			bar.append(fill);
			item.append(bar);
			item.addEventListener('click', () => {
				pin(pinned && pinned.key === item.dataset.key ? null : {key: item.dataset.key, f: spot.f, u: spot.u});
			});
			list.append(item);
		}

		markPinned();
	}

	/** Diff: how a hot spot's own samples moved, in points of share or in samples. */
	function changeBadge(spot) {
		const badge = document.createElement('span');
		badge.className = 'change';
		let change;
		let text;
		if (absolute) {
			change = Math.round(spot.self - spot.baseline);
			text = (change > 0 ? '+' : (change < 0 ? '−' : '±')) + formatCount(Math.abs(change));
		} else {
			change = Math.round(10 * ((100 * spot.self / data.tree.v) - (data.tree.b > 0 ? 100 * spot.baseline / data.tree.b : 0))) / 10;
			text = (change > 0 ? '+' : (change < 0 ? '−' : '±')) + Math.abs(change).toFixed(1) + ' pts';
		}

		badge.textContent = text;
		badge.title = absolute ? 'own samples against the baseline' : 'share of own samples against the baseline, in percentage points';
		if (Math.abs(change) > 0) {
			badge.classList.add(change > 0 ? 'slower' : 'faster');
		}

		return badge;
	}

	function markPinned() {
		for (const item of $('hotspot-list').children) {
			item.classList.toggle('active', Boolean(pinned) && item.dataset.key === pinned.key);
		}
	}

	/** Highlights every frame of one function (a hot spot), or clears that. */
	function pin(spot) {
		pinned = spot;
		markPinned();
		$('search').value = spot ? strings[spot.u] : '';
		if (spot) {
			chart.search(strings[spot.u]);
		} else {
			chart.clear();
			$('search-result').textContent = '';
		}
	}

	// --- Colours -------------------------------------------------------------------------------
	// Diff: hue says direction (red slower, blue faster), saturation says how much. By default
	// the baseline is scaled to this run's total, so the colour says how a frame's share of
	// the samples changed; "absolute counts" compares the raw (interval-scaled) sample counts.
	let absolute = false;
	function baselineFactor() {
		return !absolute && data.tree.b > 0 ? data.tree.v / data.tree.b : 1;
	}

	function diffColour(json) {
		if (json.nw) {
			return '#8e24aa';
		}

		const before = json.b * baselineFactor();
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

	function diffLines(json) {
		if (json.nw) {
			return [tooltipLine('Baseline', 'not present (new in this run)')];
		}

		const lines = [];
		let change;
		if (absolute) {
			lines.push(
				tooltipLine('Before', formatCount(json.b) + ' samples (self ' + formatCount(json.bs) + ')'),
				tooltipLine('After', formatCount(json.v) + ' samples (self ' + formatCount(json.s) + ')'),
			);
			change = json.b > 0 ? ((json.v - json.b) / json.b) * 100 : 100;
		} else {
			const beforeShare = data.tree.b > 0 ? json.b / data.tree.b : 0;
			const afterShare = data.tree.v > 0 ? json.v / data.tree.v : 0;
			lines.push(
				tooltipLine('Before', formatPercent(json.b, data.tree.b) + ' of the baseline (' + formatCount(json.b) + ' samples)'),
				tooltipLine('After', formatPercent(json.v, data.tree.v) + ' of this run (' + formatCount(json.v) + ' samples)'),
			);
			change = beforeShare > 0 ? ((afterShare - beforeShare) / beforeShare) * 100 : 100;
		}

		const direction = change > 0.05 ? ' slower' : (change < -0.05 ? ' faster' : '');
		lines.push(tooltipLine('Change', (change >= 0 ? '+' : '') + change.toFixed(1) + '%' + (absolute ? '' : ' of share') + direction));
		return lines;
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
		const self = json.inverted ? json.s : selfOf(json, selectedThread);
		if (!json.inverted || d.depth === 1) {
			tooltip.append(tooltipLine('Self', formatCount(self) + ' (' + formatPercent(self, total) + ')'));
		}

		if (json.inverted && d.depth > 1) {
			tooltip.append(tooltipLine('Calls', 'on the way to ' + (strings[d.ancestors().at(-2).data.ref.u] || '')));
		}

		if (json.op !== undefined) {
			tooltip.append(opcodeLines(json.op));
		}

		if (isDiff && d.depth > 0) {
			tooltip.append(...diffLines(json));
		}

		tooltip.style.display = 'block';
		placeTooltip();
	}

	// --- Chart ---------------------------------------------------------------------------------
	const container = $('chart');
	let selectedThread = -1;
	let inverted = false;
	let icicle = false;
	const chart = flamegraph()
		.width(Math.max(400, container.clientWidth))
		.cellHeight(18)
		.transitionDuration(200)
		.minFrameSize(1)
		.resetHeightOnZoom(true)
		.sort(false)
		.setSearchMatch((d, term) => {
			if (pinned) {
				return d.depth > 0 && d.data.ref.f === pinned.f && d.data.ref.u === pinned.u;
			}

			return Boolean(term) && d.data.name.toLowerCase().includes(term.toLowerCase());
		})
		.setSearchHandler((results, sum, total) => {
			$('search-result').textContent = results.length > 0
				? results.length + (results.length === 1 ? ' frame matches, ' : ' frames match, ') + formatPercent(sum, total) + ' of samples'
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

	// Inverted trees are built on first use, per thread.
	const invertedCache = new Map();
	function shownTree() {
		if (!inverted) {
			return callTree(selectedThread);
		}

		let tree = invertedCache.get(selectedThread);
		if (tree === undefined) {
			tree = invertedTree(selectedThread);
			invertedCache.set(selectedThread, tree);
		}

		return tree;
	}

	function draw() {
		tooltip.style.display = 'none';
		const tree = shownTree();
		fitDetail(tree);
		chart.inverted(icicle);
		if (d3.select(container).select('svg').empty()) {
			d3.select(container).datum(tree).call(chart);
		} else {
			chart.update(tree);
		}

		$('reset').disabled = true;
		const term = $('search').value.trim();
		if (term || pinned) {
			chart.search(term);
		}
	}

	if (data.tree.v === 0) {
		$('chart').textContent = 'No samples were collected.';
		$('hotspots-hint').textContent = 'No samples were collected.';
		return;
	}

	container.addEventListener('mouseleave', () => {
		tooltip.style.display = 'none';
	});
	draw();
	renderHotSpots();

	$('search').addEventListener('input', () => {
		if (pinned) {
			pinned = null;
			markPinned();
		}

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
		renderHotSpots();
	});
	$('invert').addEventListener('change', () => {
		inverted = $('invert').checked;
		draw();
	});
	$('icicle').addEventListener('change', () => {
		icicle = $('icicle').checked;
		draw();
	});

	function resize() {
		chart.width(Math.max(400, container.clientWidth));
		chart.update();
	}

	$('sidebar-toggle').addEventListener('click', () => {
		const sidebar = $('sidebar');
		sidebar.hidden = !sidebar.hidden;
		$('sidebar-toggle').textContent = sidebar.hidden ? 'Show sidebar' : 'Hide sidebar';
		$('sidebar-toggle').setAttribute('aria-expanded', String(!sidebar.hidden));
		resize();
	});
	if (isDiff) {
		const checkbox = $('absolute');
		const meaning = $('colour-meaning');
		const explain = () => {
			meaning.textContent = absolute ? 'colour = change in samples' : 'colour = change in share of samples';
		};

		explain();
		checkbox.addEventListener('change', () => {
			absolute = checkbox.checked;
			explain();
			chart.update();
			renderHotSpots();
		});
	}

	window.addEventListener('resize', resize);
})();

// The native unwinder's parts, with no Python: CFI rows against binutils' own reading of the
// same file (readelf --debug-dump=frames-interp), the demanglers against c++filt and known
// names, the merge of native and Python frames, and a real unwind of a C program built here
// (frame pointers omitted, so only the CFI can find the callers), stripped and not.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {RuleKind} from '../sampler/native/cfi.js';
import {demangle} from '../sampler/native/demangle.js';
import {demangleItanium} from '../sampler/native/demangle-itanium.js';
import {AddressSpace} from '../sampler/native/address-space.js';
import {ElfModule, readImage} from '../sampler/native/elf-module.js';
import {mergeStacks, splitGroups, type PythonGroup} from '../sampler/native/merge.js';
import type {NativeFrameInfo} from '../sampler/native/native-frames.js';
import {archFor} from '../sampler/native/registers.js';
import {StackUnwinder} from '../sampler/native/stack-unwinder.js';
import {ThreadFreezer} from '../sampler/ptrace.js';
import {delay, tempDir} from './helpers.js';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const libz = ['/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/x86_64-linux-gnu/libz.so.1'].find(file => fs.existsSync(file));

/** x86-64 DWARF register names as readelf prints them. */
const registerNames = ['rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'ra'];

describe('call-frame information', () => {
	test('every row of libz matches readelf --debug-dump=frames-interp', {skip: !has('readelf') || !libz}, () => {
		const module = new ElfModule(libz!, readImage(libz!)!, {debugSearch: false});
		const text = execFileSync('readelf', ['--debug-dump=frames-interp', libz!], {encoding: 'utf8', maxBuffer: 64 << 20});
		let rows = 0;
		let columns: string[] = [];
		let inFde = false;
		for (const line of text.split('\n')) {
			if (/^[\da-f]+ [\da-f]+ [\da-f]+ (?:CIE|FDE)/.test(line)) {
				inFde = line.includes(' FDE ');
				continue;
			}

			if (/^\s+LOC\s+CFA/.test(line)) {
				columns = line.trim().split(/\s+/);
				continue;
			}

			const row = /^([\da-f]{16}) (.*)$/.exec(line);
			if (!row || columns.length === 0 || !inFde) {
				continue;
			}

			const cells = row[2]!.trim().split(/\s+/);
			const address = Number.parseInt(row[1]!, 16);
			const ours = module.row(address);
			assert.ok(ours, `a row at 0x${address.toString(16)}`);
			const cfa = cells[0]!;
			if (cfa !== 'exp') {
				const [register, offset] = cfa.split('+');
				assert.equal(ours.cfa.kind, 'register', `CFA kind at 0x${address.toString(16)}`);
				if (ours.cfa.kind === 'register') {
					assert.equal(registerNames[ours.cfa.register], register, `CFA register at 0x${address.toString(16)}`);
					assert.equal(ours.cfa.offset, Number(offset), `CFA offset at 0x${address.toString(16)}`);
				}
			} else {
				assert.equal(ours.cfa.kind, 'expression');
			}

			for (const [index, cell] of cells.slice(1).entries()) {
				const column = registerNames.indexOf(columns[index + 2]!);
				if (column < 0) {
					continue;
				}

				if (cell.startsWith('c')) {
					assert.equal(ours.kinds[column], RuleKind.offset, `${columns[index + 2]} at 0x${address.toString(16)}`);
					assert.equal(ours.values[column], Number(cell.slice(1)), `${columns[index + 2]} offset at 0x${address.toString(16)}`);
				} else if (cell === 'u') {
					assert.ok(ours.kinds[column] === RuleKind.sameValue || ours.kinds[column] === RuleKind.undefined);
				}
			}

			rows++;
		}

		assert.ok(rows > 200, `compared ${rows} rows`);
	});

	test('symbols: .dynsym bounded by size, debug files found by build id', {skip: !libz}, () => {
		const module = new ElfModule(libz!, readImage(libz!)!);
		const deflate = execFileSync('nm', ['-D', '--defined-only', libz!], {encoding: 'utf8'}).split('\n').find(line => / T deflate$/.test(line));
		assert.ok(deflate, 'deflate exported');
		const address = Number.parseInt(deflate.split(' ')[0]!, 16);
		assert.equal(module.symbol(address + 4)?.name, 'deflate');
		assert.equal(module.name, 'libz.so.1', 'named by its soname');
		const libc = new ElfModule('/lib/x86_64-linux-gnu/libc.so.6', readImage('/lib/x86_64-linux-gnu/libc.so.6')!);
		if (libc.debugFile) {
			assert.ok(libc.hasSymtab, 'the debug file brings .symtab');
		}
	});
});

describe('demangling', () => {
	test('C++ and Rust names', () => {
		const cases: Array<[string, string]> = [
			['_ZN3foo3barEv', 'foo::bar()'],
			['_ZNK3Foo3getEv', 'Foo::get() const'],
			['_ZNSt6vectorIiSaIiEE9push_backERKi', 'std::vector<int, std::allocator<int> >::push_back(int const&)'],
			['_ZN2tt6WorkerIdE6crunchEi', 'tt::Worker<double>::crunch(int)'],
			['_ZZ4mainENKUlvE_clEv', 'main::{lambda()#1}::operator()() const'],
			['_ZN12_GLOBAL__N_16helperEi.cold', '(anonymous namespace)::helper(int) [clone .cold]'],
			['_Z1fPFviEPA3_c', 'f(void (*)(int), char (*) [3])'],
			['_ZN3FooC2Ev', 'Foo::Foo()'],
			['_ZN3FooD1Ev', 'Foo::~Foo()'],
			['_ZN3FooplERKS_', 'Foo::operator+(Foo const&)'],
			['_Z3maxIiET_T_S0_', 'int max<int>(int, int)'],
			['_ZTV3Foo', 'vtable for Foo'],
			['_ZN4core3fmt5write17h0123456789abcdefE', 'core::fmt::write'],
			['_ZN66_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$core..ops..drop..Drop$GT$4drop17h0123456789abcdefE', '<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop'],
			['_RNvNvCs1234_7mycrate3foo3bar', 'mycrate::foo::bar'],
			['_RNvMsr_NtCs3ssYzQotkvD_3std4pathNtB5_7PathBuf3newCs15kBYyAo9fc_7mycrate', '<std::path::PathBuf>::new'],
			['_RINvNtCs1234_4core3ptr13drop_in_placeINtNtCs5678_5alloc3vec3VechEEB4_', 'core::ptr::drop_in_place::<alloc::vec::Vec<u8>>'],
			['_RNCNvCs1234_5hello4main0B3_', 'hello::main::{closure#0}'],
			['deflate', 'deflate'],
			['_Zbroken', '_Zbroken'],
		];
		for (const [mangled, shown] of cases) {
			assert.equal(demangle(mangled), shown, mangled);
		}
	});

	test('as c++filt prints libstdc++\'s symbols', {skip: !has('c++filt') || !has('nm')}, () => {
		const library = execFileSync('sh', ['-c', 'ls /usr/lib/x86_64-linux-gnu/libstdc++.so.6 2>/dev/null || true'], {encoding: 'utf8'}).trim();
		if (library === '') {
			return;
		}

		const symbols = [...new Set(execFileSync('nm', ['-D', '--defined-only', library], {encoding: 'utf8', maxBuffer: 64 << 20})
			.split('\n').map(line => line.split(' ').at(-1)!.replace(/@.*/, '')).filter(name => name.startsWith('_Z')))];
		const expected = execFileSync('c++filt', {input: symbols.join('\n'), encoding: 'utf8', maxBuffer: 64 << 20}).split('\n');
		let same = 0;
		for (const [index, symbol] of symbols.entries()) {
			same += demangleItanium(symbol) === expected[index] ? 1 : 0;
		}

		assert.ok(symbols.length > 1000 && same / symbols.length >= 0.95, `${same} of ${symbols.length} as c++filt prints them`);
	});
});

describe('merging native and Python frames', () => {
	const marker = 99;
	const info = (id: number, extra: Partial<NativeFrameInfo> = {}): NativeFrameInfo => ({id, internal: false, evalFunction: false, startUp: false, ...extra});

	test('each eval call is replaced by its Python frames, found by the address on its C stack', () => {
		// Python, innermost first: py_cmp | marker | sort_with_c, main, <module> | marker (root shim)
		const python = [1, marker, 2, 3, 4, marker];
		const groups: PythonGroup[] = [];
		const count = splitGroups(python, python.length, marker, groups);
		assert.equal(count, 2);
		// Native, innermost first: eval (inner), callback glue, ffi, qsort, ffi_call, eval (outer), start-up.
		const sps = Float64Array.from([100, 200, 300, 400, 500, 600, 700]);
		const cfas = Float64Array.from([200, 300, 400, 500, 600, 700, 800]);
		const infos = [info(11, {internal: true}), info(10), info(12), info(13), info(14), info(15, {internal: true}), info(16, {startUp: true})];
		const out: number[] = [];
		const depth = mergeStacks(python, groups, count, [150, 650], {count: 7, sps, cfas, infos}, false, out, new Int32Array(16));
		assert.deepEqual(out.slice(0, depth), [1, 10, 12, 13, 14, 2, 3, 4]);
	});

	test('without anchors the eval function is matched by name; start-up frames shown with =all', () => {
		const python = [1, 2];
		const groups: PythonGroup[] = [];
		const count = splitGroups(python, 2, marker, groups);
		const infos = [info(10), info(11, {evalFunction: true, internal: true}), info(12, {startUp: true, internal: true})];
		const view = {count: 3, sps: new Float64Array(3), cfas: new Float64Array(3), infos};
		const out: number[] = [];
		assert.deepEqual(out.slice(0, mergeStacks(python, groups, count, [0], view, false, out, new Int32Array(8))), [10, 1, 2]);
		assert.deepEqual(out.slice(0, mergeStacks(python, groups, count, [0], view, true, out, new Int32Array(8))), [10, 1, 2, 12]);
	});

	test('Python frames whose eval call was not found stay at the root end, in order', () => {
		const python = [1, marker, 2];
		const groups: PythonGroup[] = [];
		const count = splitGroups(python, 3, marker, groups);
		const view = {count: 1, sps: Float64Array.from([0]), cfas: Float64Array.from([10]), infos: [info(10)]};
		const out: number[] = [];
		assert.deepEqual(out.slice(0, mergeStacks(python, groups, count, [0, 0], view, false, out, new Int32Array(8))), [10, 1, 2]);
	});
});

describe('unwinding a C program', () => {
	const started: number[] = [];
	after(() => {
		for (const pid of started) {
			try {
				process.kill(pid, 'SIGKILL');
			} catch {
				// Already gone.
			}
		}
	});

	const source = `#include <unistd.h>
volatile unsigned long counter;
__attribute__((noinline)) static void leaf_spin(void) { for (;;) { counter++; } }
__attribute__((noinline)) void middle(int depth) { if (depth > 0) middle(depth - 1); else leaf_spin(); counter--; }
__attribute__((noinline)) void outer(void) { middle(3); counter--; }
int main(void) { outer(); return 0; }
`;
	for (const stripped of [false, true]) {
		test(`callers found by CFI alone${stripped ? ', stripped (static functions by address)' : ''}`, {skip: !has('gcc')}, async () => {
			const dir = tempDir();
			fs.writeFileSync(path.join(dir, 'spin.c'), source);
			const program = path.join(dir, stripped ? 'spin-stripped' : 'spin');
			execFileSync('gcc', ['-O2', '-fomit-frame-pointer', '-o', program, path.join(dir, 'spin.c')]);
			if (stripped) {
				execFileSync('strip', [program]);
			}

			// Started by a shell that exits at once: not our child, so our waitpid calls see only ptrace stops.
			const pid = Number(execFileSync('sh', ['-c', `${program} >/dev/null 2>&1 & echo $!`], {encoding: 'utf8'}).trim());
			started.push(pid);
			await delay(200);
			const freezer = new ThreadFreezer(pid);
			const unwinder = new StackUnwinder(new AddressSpace(pid), archFor());
			freezer.pause();
			let names: string[];
			try {
				const count = unwinder.unwind(pid);
				names = Array.from({length: count}, (_, index) => {
					const mapped = unwinder.modules[index];
					const hit = mapped?.module.symbol(unwinder.lookups[index]!);
					return hit?.name ?? `${mapped?.module.name ?? '?'}+0x${unwinder.functionStarts[index]!.toString(16)}`;
				});
			} finally {
				freezer.resume();
			}

			const base = path.basename(program);
			if (stripped) {
				// Nothing named but libc's: each of our frames is a distinct function start.
				const ours = names.filter(name => name.startsWith(`${base}+0x`));
				assert.ok(ours.length >= 6, names.join(' <- '));
			} else {
				const wanted = ['leaf_spin', 'middle', 'middle', 'middle', 'middle', 'outer', 'main'];
				assert.deepEqual(names.slice(0, wanted.length), wanted, names.join(' <- '));
			}

			assert.ok(names.includes('__libc_start_main'), `reaches libc's start: ${names.join(' <- ')}`);
			assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /^TracerPid:\s+0$/m);
			process.kill(pid, 'SIGKILL');
		});
	}
});

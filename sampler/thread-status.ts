// A sampled thread's status bits (Tachyon's): main thread, holds or wants the GIL, on a CPU,
// has an exception, from its thread state and the interpreter-wide words (and on 3.11–3.14,
// where no thread state says it wants the GIL, from the futex a blocked thread waits on).
//
// Why a module: each bit comes from a different place depending on the version (the GIL
// holder word, 3.15's per-thread holds_gil, /proc for the CPU, the exception and its stack of
// handled ones), and the modes (cpu, gil, exception) filter on nothing else.
import {CpuStates} from './cpu-state.js';
import type {InterpreterSnapshot} from './interpreter-words.js';
import {ThreadStatus} from '../common/profile-types.js';
import type {SampleReads} from './sample-reads.js';
import type {Target} from './target.js';
import type {UnwindOptions} from './unwind-types.js';

/** How many handled exceptions to look through before giving up (a torn chain could loop). */
const maxExceptionItems = 64;

/**
 * Where a thread waiting for the GIL blocks, inside `struct _gil_runtime_state` (3.11–3.14,
 * x86-64 glibc: interval, last_holder, locked, switch_number, then the condition variable `cond`
 * at 32 (48 bytes) and `mutex` at 80 (40 bytes)). take_gil() waits on `cond`, or briefly on
 * `mutex`; `switch_cond` after them is where a thread that has just dropped the GIL waits for
 * another to take it, which is not waiting for the GIL.
 */
const gilWaitStart = 32;
const gilWaitEnd = 120;

export class ThreadStatusReader {
	readonly cpu: CpuStates;
	private readonly reads: SampleReads;
	private readonly target: Target;
	private readonly options: UnwindOptions;

	/**
	 * 3.11–3.14: the GIL's struct (0 where 3.15+ says who waits in the thread state). A thread
	 * blocked in futex(2) on its condition variable or mutex is waiting for the GIL; Tachyon
	 * reads 3.15's tstate->gil_requested, which older versions lack.
	 */
	private readonly gil: number;

	constructor(reads: SampleReads, target: Target, options: UnwindOptions, gil: number) {
		this.reads = reads;
		this.target = target;
		this.options = options;
		this.cpu = new CpuStates(target.pid);
		this.gil = target.layout.tstate.gilRequested >= 0 ? 0 : gil;
	}

	/** The status bits of the thread whose state was read to scratch at `ts`. */
	status(ts: number, tstate: number, tid: number, shared: InterpreterSnapshot): number {
		const {layout} = this.target;
		const {memory} = this.reads;
		let status = 0;
		if (shared.threadsMain === 0 ? tid === this.target.pid : shared.threadsMain === tstate) {
			status |= ThreadStatus.mainThread;
		}

		const hasGil = layout.tstate.holdsGil >= 0
			? memory.int32At(ts + layout.tstate.holdsGil) !== 0
			: shared.gilLocked && shared.gilHolder === tstate;
		const cpu = this.options.cpuState ? this.cpu.state(tid) : ThreadStatus.unknown;
		if (hasGil) {
			status |= ThreadStatus.hasGil;
		} else if (layout.tstate.gilRequested >= 0) {
			if (memory.int32At(ts + layout.tstate.gilRequested) !== 0) {
				status |= ThreadStatus.gilRequested;
			}
		} else if (cpu === 0 && this.gil !== 0) {
			// Off a CPU (/proc was read anyway): blocked, perhaps on the GIL.
			const futex = this.cpu.futexAddress(tid);
			if (futex >= this.gil + gilWaitStart && futex < this.gil + gilWaitEnd) {
				status |= ThreadStatus.gilRequested;
			}
		}

		status |= cpu;
		if (this.options.exceptionState && this.hasException(ts)) {
			status |= ThreadStatus.hasException;
		}

		return status;
	}

	/** Like sys.exception(): an exception is being raised or handled in this thread. */
	private hasException(ts: number): boolean {
		const {layout, none} = this.target;
		const {memory} = this.reads;
		if (memory.pointerAt(ts + layout.tstate.currentException) !== 0) {
			return true;
		}

		const {value, previous} = layout.errStackItem;
		let item = memory.pointerAt(ts + layout.tstate.excInfo);
		for (let guard = 0; item !== 0 && guard < maxExceptionItems; guard++) {
			const at = this.reads.fetch(item, Math.max(value, previous) + 8);
			const exception = memory.pointerAt(at + value);
			if (exception !== 0 && exception !== none) {
				return true;
			}

			item = memory.pointerAt(at + previous);
		}

		return false;
	}
}

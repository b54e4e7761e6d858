// --native-stacks: after the Python walk of a sample, while the target's threads are stopped,
// each sampled thread's native stack is unwound and merged with its Python frames, in place
// in the sample. The walk must have been asked for its eval-call markers (`native`) and, on
// 3.12+, for the frames' addresses (to find each call's shim frame).
import type {FrameTable} from '../frame-table.js';
import type {NativeStacksMode} from '../protocol.js';
import type {Target} from '../target.js';
import type {ThreadSample} from '../unwind-types.js';
import {AddressSpace} from './address-space.js';
import {mergeStacks, splitEachFrame, splitGroups, type PythonGroup} from './merge.js';
import {NativeFrames, type NativeFrameInfo} from './native-frames.js';
import {archFor} from './registers.js';
import {maxNativeFrames, StackUnwinder} from './stack-unwinder.js';

export type {NativeStacksMode} from '../protocol.js';

/** How many eval calls deep the 3.11 _PyCFrame chain is followed. */
const maxCframes = 1024;

export class NativeStacks {
	readonly space: AddressSpace;
	readonly unwinder: StackUnwinder;
	readonly frames: NativeFrames;
	private readonly target: Target;
	private readonly marker: number;
	private readonly showInternal: boolean;
	private readonly groups: PythonGroup[] = [];
	private readonly anchors: number[] = [];
	private readonly infos: NativeFrameInfo[] = [];
	private readonly merged: number[] = [];
	private readonly evalOf = new Int32Array(maxNativeFrames);
	/** Threads whose registers could not be read (kept with their Python frames only). */
	unreadable = 0;
	/** Native frames unwound, over all samples, and how many of those were eval calls placed by anchor or symbol. */
	nativeFrames = 0;

	constructor(target: Target, frameTable: FrameTable, mode: NativeStacksMode) {
		this.target = target;
		this.space = new AddressSpace(target.pid);
		this.unwinder = new StackUnwinder(this.space, archFor());
		this.frames = new NativeFrames(frameTable, [target.binary]);
		this.marker = frameTable.synthetic('native', '<native>');
		this.showInternal = mode === 'all';
	}

	/** Rewrites samples[0, count) in place: native frames merged with each thread's Python frames. */
	rewrite(samples: readonly ThreadSample[], count: number): void {
		for (let index = 0; index < count; index++) {
			this.rewriteOne(samples[index]!);
		}
	}

	private rewriteOne(sample: ThreadSample): void {
		const {unwinder} = this;
		const groupCount = this.target.traits.frames === 'frame-objects'
			? splitEachFrame(sample.frames, sample.depth, this.marker, this.groups)
			: splitGroups(sample.frames, sample.depth, this.marker, this.groups);
		const nativeCount = unwinder.unwind(sample.tid);
		if (nativeCount === 0) {
			this.unreadable++;
		}

		this.nativeFrames += nativeCount;
		for (let frame = 0; frame < nativeCount; frame++) {
			const mapped = unwinder.modules[frame];
			this.infos[frame] = this.frames.frame(mapped?.module, unwinder.lookups[frame]!, unwinder.functionStarts[frame]!);
		}

		this.findAnchors(sample, groupCount);
		const depth = mergeStacks(sample.frames, this.groups, groupCount, this.anchors,
			{count: nativeCount, sps: unwinder.sps, cfas: unwinder.cfas, infos: this.infos}, this.showInternal, this.merged, this.evalOf);
		const {frames} = sample;
		for (let index = 0; index < depth; index++) {
			frames[index] = this.merged[index]!;
		}

		sample.depth = depth;
	}

	/**
	 * The C-stack address of each group's eval call. 3.11: the chain of _PyCFrame structs from
	 * the thread state, one per eval call, innermost first. 3.12+: the shim frame each call
	 * pushes on its C stack, which the group's outermost Python frame points back to.
	 */
	private findAnchors(sample: ThreadSample, groupCount: number): void {
		const {layout} = this.target;
		const {anchors, unwinder} = this;
		anchors.length = 0;
		if (this.target.traits.frames === 'frame-objects') {
			return; // 3.8–3.10: no anchors; one eval frame per Python frame, matched in order.
		}

		try {
			if (layout.frame.isEntry >= 0 && layout.tstate.cframe >= 0) {
				let cframe = unwinder.readWord(sample.tstate + layout.tstate.cframe);
				for (let group = 0; group < groupCount && cframe !== 0 && group < maxCframes; group++) {
					anchors.push(cframe);
					cframe = unwinder.readWord(cframe + layout.tstate.cframeCurrentFrame + 8);
				}

				return;
			}

			const addresses = sample.addresses;
			for (let group = 0; group < groupCount; group++) {
				const outermost = addresses?.[this.groups[group]!.end - 1] ?? 0;
				anchors.push(outermost === 0 ? 0 : unwinder.readWord(outermost + layout.frame.previous));
			}
		} catch {
			// An unreadable link leaves the remaining groups to the symbol match.
		}
	}
}

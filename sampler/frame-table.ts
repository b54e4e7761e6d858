// Interns frames so each distinct (file, function, position, opcode) is sent and stored once.
import type {FrameDef, FrameKind} from '../common/profile-types.js';

export class FrameTable {
	readonly defs: FrameDef[] = [];
	private readonly ids = new Map<string, number>();
	private sent = 0;

	intern(def: FrameDef): number {
		const key = `${def.kind}\0${def.filename}\0${def.funcname}\0${def.line}\0${def.endLine}\0${def.col}\0${def.endCol}\0${def.opcode}\0${def.firstLine ?? ''}`;
		let id = this.ids.get(key);
		if (id === undefined) {
			id = this.defs.length;
			this.defs.push(def);
			this.ids.set(key, id);
		}

		return id;
	}

	synthetic(kind: FrameKind, funcname: string): number {
		return this.intern({filename: '~', funcname, line: 0, endLine: 0, col: -1, endCol: -1, opcode: -1, kind});
	}

	/** Frames interned since the last call, to ship with the next batch. */
	takeNew(): FrameDef[] {
		const fresh = this.defs.slice(this.sent);
		this.sent = this.defs.length;
		return fresh;
	}
}

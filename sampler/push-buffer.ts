// A growable typed array used as a push buffer; its storage is kept between batches, so
// steady-state sampling allocates nothing per sample.

type TypedArrayOf<T> = T extends Float64Array ? Float64ArrayConstructor : Uint32ArrayConstructor;
type Kind = Float64ArrayConstructor | Uint32ArrayConstructor;

export class PushBuffer<T extends Float64Array | Uint32Array> {
	data: T;
	length = 0;
	private readonly make: (length: number) => T;
	private readonly kind: Kind;

	constructor(kind: TypedArrayOf<T>) {
		this.kind = kind;
		this.make = length => new kind(length) as T;
		this.data = this.make(3 * 4096);
	}

	push3(a: number, b: number, c: number): void {
		if (this.length + 3 > this.data.length) {
			const bigger = this.make(this.data.length * 2);
			bigger.set(this.data);
			this.data = bigger;
		}

		this.data[this.length++] = a;
		this.data[this.length++] = b;
		this.data[this.length++] = c;
	}

	pushAll(values: ArrayLike<number>): void {
		if (this.length + values.length > this.data.length) {
			const bigger = this.make(Math.max(this.data.length * 2, this.length + values.length));
			bigger.set(this.data);
			this.data = bigger;
		}

		this.data.set(values, this.length);
		this.length += values.length;
	}

	/**
	 * A copy of the content in an ArrayBuffer of its own, ready to transfer; empties the buffer.
	 * The copy goes into the start of one of `spare`'s buffers (removed from it) when one is large
	 * enough, else into a new one.
	 */
	take(spare: ArrayBuffer[] = []): T {
		const bytes = this.length * this.kind.BYTES_PER_ELEMENT;
		const fits = spare.findIndex(buffer => buffer.byteLength >= bytes);
		let taken: T;
		if (fits === -1) {
			taken = this.data.slice(0, this.length) as T;
		} else {
			taken = new this.kind(spare.splice(fits, 1)[0]!, 0, this.length) as T;
			taken.set(this.data.subarray(0, this.length));
		}

		this.length = 0;
		return taken;
	}
}

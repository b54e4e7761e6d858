// A hash table from addresses to small non-negative integers, in typed arrays. Addresses are
// above 2^31, so a JavaScript Map boxes each one as a heap number to hash it: measured on a
// rewrite of 10,000 tasks, its lookups cost ~0.7 µs each and were the largest part of a sample.
// Here a lookup is a multiply and a probe or two, and nothing is allocated.

const empty = -1;
const twoTo32 = 4_294_967_296;

export class AddressMap {
	private keys: Float64Array;
	private values: Int32Array;
	private bits: number;
	private readonly alignBits: number;
	private used = 0;

	/** `alignBits`: low bits every key has clear (3 for 8-aligned addresses, 0 for page numbers). */
	constructor(alignBits = 3, capacityBits = 10) {
		this.alignBits = alignBits;
		this.bits = capacityBits;
		this.keys = new Float64Array(1 << capacityBits).fill(empty);
		this.values = new Int32Array(1 << capacityBits);
	}

	get size(): number {
		return this.used;
	}

	/** The value under `address`, or -1. */
	get(address: number): number {
		const mask = this.keys.length - 1;
		for (let slot = this.slotOf(address); ; slot = (slot + 1) & mask) {
			const key = this.keys[slot]!;
			if (key === address) {
				return this.values[slot]!;
			}

			if (key === empty) {
				return -1;
			}
		}
	}

	/** Sets `address` to `value` (≥ 0). */
	set(address: number, value: number): void {
		if ((this.used + 1) * 2 > this.keys.length) {
			this.grow();
		}

		const mask = this.keys.length - 1;
		for (let slot = this.slotOf(address); ; slot = (slot + 1) & mask) {
			const key = this.keys[slot]!;
			if (key === address) {
				this.values[slot] = value;
				return;
			}

			if (key === empty) {
				this.keys[slot] = address;
				this.values[slot] = value;
				this.used++;
				return;
			}
		}
	}

	clear(): void {
		if (this.used > 0) {
			this.keys.fill(empty);
			this.used = 0;
		}
	}

	private slotOf(address: number): number {
		// Fibonacci hashing of the low and high words, less the bits every key has clear.
		const low = (address % twoTo32) >>> this.alignBits;
		const high = Math.floor(address / twoTo32);
		return Math.imul(low ^ Math.imul(high, 0x27_d4_eb_2d), 0x9e_37_79_b1) >>> (32 - this.bits);
	}

	private grow(): void {
		const {keys, values} = this;
		this.bits++;
		this.keys = new Float64Array(1 << this.bits).fill(empty);
		this.values = new Int32Array(1 << this.bits);
		this.used = 0;
		for (let slot = 0; slot < keys.length; slot++) {
			if (keys[slot] !== empty) {
				this.set(keys[slot]!, values[slot]!);
			}
		}
	}
}

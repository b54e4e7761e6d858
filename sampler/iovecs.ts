// The two iovec arrays of one process_vm_readv call (ours and the target's), kept as Uint32
// words (struct iovec is {void *base; size_t len}, 16 bytes on x86-64) so that koffi passes
// them as they are, with no object built per call.

const twoTo32 = 4_294_967_296;

/** Slot `slot` of both arrays: `length` bytes from the target's `address` to our `local` address. */
export function setIovec(localIovecs: Uint32Array, remoteIovecs: Uint32Array, slot: number, local: number, address: number, length: number): void {
	const at = slot * 4;
	localIovecs[at] = local % twoTo32;
	localIovecs[at + 1] = Math.floor(local / twoTo32);
	localIovecs[at + 2] = length;
	localIovecs[at + 3] = 0;
	remoteIovecs[at] = address % twoTo32;
	remoteIovecs[at + 1] = Math.floor(address / twoTo32);
	remoteIovecs[at + 2] = length;
	remoteIovecs[at + 3] = 0;
}

// Text to bytes the way Python writes it with errors="surrogatepass", as Tachyon writes its
// text outputs. A file name with bytes that are not UTF-8 (a Latin-1 directory, a mangled
// download) reaches Python as a str with lone surrogates (U+DC80–U+DCFF, surrogateescape);
// we read those code units as they are, and Node's own UTF-8 encoder would turn each into
// U+FFFD. Encoding each lone surrogate as the three bytes of its code point keeps the name
// byte-compatible with Tachyon's (and tells two such names apart).

const surrogate = /[\uD800-\uDFFF]/;

/** UTF-8 with lone surrogates kept as 3-byte sequences (ED A0 80 – ED BF BF). */
export function surrogatePassUtf8(text: string): Buffer {
	if (!surrogate.test(text)) {
		return Buffer.from(text, 'utf8');
	}

	const bytes = Buffer.allocUnsafe(text.length * 3);
	let at = 0;
	let start = 0;
	for (let index = 0; index < text.length; index++) {
		const unit = text.charCodeAt(index);
		if (unit < 0xD800 || unit > 0xDFFF) {
			continue;
		}

		const pairs = unit <= 0xDBFF && index + 1 < text.length && (text.charCodeAt(index + 1) & 0xFC00) === 0xDC00;
		if (pairs) {
			index++;
			continue;
		}

		// A lone surrogate: the well-formed run before it as UTF-8, then the surrogate itself.
		at += bytes.write(text.slice(start, index), at, 'utf8');
		bytes[at++] = 0xE0 | (unit >> 12);
		bytes[at++] = 0x80 | ((unit >> 6) & 0x3F);
		bytes[at++] = 0x80 | (unit & 0x3F);
		start = index + 1;
	}

	at += bytes.write(text.slice(start), at, 'utf8');
	return bytes.subarray(0, at);
}

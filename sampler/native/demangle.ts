// Readable names for mangled symbols: C++ (Itanium ABI, `_Z…`) and Rust (v0 `_R…`, and the
// legacy scheme, Itanium-shaped with a hash). A name that does not parse is shown as it is.
import {demangleItanium} from './demangle-itanium.js';
import {demangleRustLegacy, demangleRustV0} from './demangle-rust.js';

const cache = new Map<string, string>();

export function demangle(symbol: string): string {
	let shown = cache.get(symbol);
	if (shown === undefined) {
		shown = demangleOnce(symbol);
		cache.set(symbol, shown);
	}

	return shown;
}

function demangleOnce(symbol: string): string {
	try {
		if (symbol.startsWith('_R')) {
			return demangleRustV0(symbol) ?? symbol;
		}

		if (symbol.startsWith('_ZN') && /17h[\da-f]{16}E/.test(symbol)) {
			const rust = demangleRustLegacy(symbol);
			if (rust !== undefined) {
				return rust;
			}
		}

		if (symbol.startsWith('_Z')) {
			return demangleItanium(symbol) ?? symbol;
		}
	} catch {
		// A demangler bug must never cost a sample: show the symbol as it is.
	}

	return symbol;
}

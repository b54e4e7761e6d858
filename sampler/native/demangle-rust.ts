// Rust symbol names, written from the Rust reference's two schemes:
// - legacy: an Itanium-shaped `_ZN…E` path whose last part is `h` + a 16-digit hash, with
//   `$LT$`-style escapes; shown as `crate::module::function` without the hash.
// - v0 (RFC 2603): `_R` + a path grammar with generic arguments, types, constants, back
//   references and Punycode identifiers; shown as rustc-demangle's short form (no hashes,
//   no crate disambiguators): `<alloc::vec::Vec<u8> as core::ops::Drop>::drop`.

class Fail extends Error {}

const legacyEscapes: Record<string, string> = {
	SP: '@', BP: '*', RF: '&', LT: '<', GT: '>', LP: '(', RP: ')', C: ',',
};

/** `_ZN` … `17h0123456789abcdefE` → `a::b::c`, or undefined if it is not a legacy Rust name. */
export function demangleRustLegacy(symbol: string): string | undefined {
	const match = /^_ZN(.*)E(?:\.[\w.]+)?$/.exec(symbol);
	if (!match) {
		return undefined;
	}

	const body = match[1]!;
	const parts: string[] = [];
	let at = 0;
	while (at < body.length) {
		const digits = /^\d+/.exec(body.slice(at));
		if (!digits) {
			return undefined;
		}

		at += digits[0].length;
		const length = Number(digits[0]);
		if (length === 0 || at + length > body.length) {
			return undefined;
		}

		parts.push(body.slice(at, at + length));
		at += length;
	}

	const hash = parts.at(-1);
	if (!hash || !/^h[\da-f]{16}$/.test(hash)) {
		return undefined;
	}

	parts.pop();
	const shown = parts.map(part => unescapeLegacy(part));
	return shown.includes(undefined as unknown as string) ? undefined : shown.join('::');
}

function unescapeLegacy(part: string): string {
	let text = part.startsWith('_$') ? part.slice(1) : part;
	text = text.replaceAll('..', '::');
	return text.replaceAll(/\$([A-Z]{1,2}|u[\da-f]+)\$/g, (whole, code: string) => {
		if (code.startsWith('u')) {
			const point = Number.parseInt(code.slice(1), 16);
			return Number.isFinite(point) ? String.fromCodePoint(point) : whole;
		}

		return legacyEscapes[code] ?? whole;
	});
}

const basicTypes: Record<string, string> = {
	a: 'i8', b: 'bool', c: 'char', d: 'f64', e: 'str', f: 'f32', h: 'u8', i: 'isize', j: 'usize', l: 'i32', m: 'u32',
	n: 'i128', o: 'u128', s: 'i16', t: 'u16', u: '()', v: '...', x: 'i64', y: 'u64', z: '!', p: '_',
};

/** `_R…` (v0) → a readable path, or undefined if it does not parse. */
export function demangleRustV0(symbol: string): string | undefined {
	const match = /^_R([\w$]*)(?:\.[\w.]+)?$/.exec(symbol);
	if (!match) {
		return undefined;
	}

	try {
		const parser = new V0Parser(match[1]!);
		if (/\d/.test(parser.peek())) {
			parser.decimal(); // An encoding version: only 0 exists (omitted).
		}

		const text = parser.path();
		return text;
	} catch (error) {
		if (error instanceof Fail || error instanceof RangeError) {
			return undefined;
		}

		throw error;
	}
}

class V0Parser {
	private readonly text: string;
	private at = 0;
	private depth = 0;
	/** Lifetimes bound by for<> binders, counted from the outermost. */
	private boundLifetimes = 0;

	constructor(text: string) {
		this.text = text;
	}

	peek(): string {
		return this.text[this.at] ?? '';
	}

	private next(): string {
		const c = this.text[this.at];
		if (c === undefined) {
			throw new Fail();
		}

		this.at++;
		return c;
	}

	private eat(c: string): boolean {
		if (this.peek() === c) {
			this.at++;
			return true;
		}

		return false;
	}

	decimal(): number {
		const start = this.at;
		while (/\d/.test(this.peek())) {
			this.at++;
		}

		if (start === this.at) {
			throw new Fail();
		}

		return Number(this.text.slice(start, this.at));
	}

	/** <base-62-number>: `_` is 0, else digits then `_`, plus one. */
	private base62(): number {
		if (this.eat('_')) {
			return 0;
		}

		let value = 0;
		for (;;) {
			const c = this.next();
			if (c === '_') {
				return value + 1;
			}

			const digit = /\d/.test(c) ? c.charCodeAt(0) - 48 : (/[a-z]/.test(c) ? c.charCodeAt(0) - 87 : (/[A-Z]/.test(c) ? c.charCodeAt(0) - 29 : -1));
			if (digit < 0) {
				throw new Fail();
			}

			value = (value * 62) + digit;
		}
	}

	private optionalBase62(tag: string): number {
		return this.eat(tag) ? this.base62() + 1 : 0;
	}

	private enter(): void {
		if (++this.depth > 200) {
			throw new Fail();
		}
	}

	/** Follows a back reference (B <base-62-number>): parses what is at that offset with `parse`. */
	private backref<T>(parse: () => T): T {
		const target = this.base62();
		if (target >= this.at - 1) {
			throw new Fail();
		}

		const saved = this.at;
		this.at = target;
		try {
			return parse();
		} finally {
			this.at = saved;
		}
	}

	private identifier(): {name: string; disambiguator: number} {
		const disambiguator = this.optionalBase62('s');
		const punycode = this.eat('u');
		const length = this.decimal();
		this.eat('_');
		if (this.at + length > this.text.length) {
			throw new Fail();
		}

		let name = this.text.slice(this.at, this.at + length);
		this.at += length;
		if (punycode) {
			name = decodePunycode(name);
		}

		return {name, disambiguator};
	}

	/** A path; `inType`: in a type, generic arguments read `Vec<u8>`, in a value path `drop_in_place::<u8>`. */
	path(inType = false): string {
		this.enter();
		try {
			const tag = this.next();
			switch (tag) {
				case 'C': {
					return this.identifier().name;
				}

				case 'M': { // inherent impl: <T>
					this.implPath();
					return `<${this.type()}>`;
				}

				case 'X': { // trait impl: <T as Trait>
					this.implPath();
					const type = this.type();
					return `<${type} as ${this.path(true)}>`;
				}

				case 'Y': { // trait definition: <T as Trait>
					const type = this.type();
					return `<${type} as ${this.path(true)}>`;
				}

				case 'N': {
					const namespace = this.next();
					const parent = this.path(inType);
					const {name, disambiguator} = this.identifier();
					if (/[A-Z]/.test(namespace)) {
						const kind = namespace === 'C' ? 'closure' : (namespace === 'S' ? 'shim' : namespace);
						return `${parent}::{${kind}${name ? `:${name}` : ''}#${disambiguator}}`;
					}

					return name === '' ? parent : `${parent}::${name}`;
				}

				case 'I': {
					const base = this.path(inType);
					const args: string[] = [];
					while (!this.eat('E')) {
						args.push(this.genericArg());
					}

					return `${base}${inType ? '' : '::'}<${args.join(', ')}>`;
				}

				case 'B': {
					return this.backref(() => this.path(inType));
				}

				default: {
					throw new Fail();
				}
			}
		} finally {
			this.depth--;
		}
	}

	private implPath(): void {
		this.optionalBase62('s');
		this.path();
	}

	private genericArg(): string {
		if (this.eat('L')) {
			return this.lifetime(this.base62());
		}

		if (this.eat('K')) {
			return this.constant();
		}

		return this.type();
	}

	private lifetime(index: number): string {
		if (index === 0) {
			return '\'_';
		}

		const depth = this.boundLifetimes - index;
		if (depth < 0) {
			throw new Fail();
		}

		return depth < 26 ? `'${String.fromCharCode(97 + depth)}` : `'_${depth}`;
	}

	private binder(): string {
		const count = this.optionalBase62('G');
		if (count === 0) {
			return '';
		}

		const names: string[] = [];
		for (let index = 0; index < count; index++) {
			this.boundLifetimes++;
			names.push(this.lifetime(1));
		}

		return `for<${names.join(', ')}> `;
	}

	type(): string {
		this.enter();
		try {
			const c = this.peek();
			if (basicTypes[c] !== undefined) {
				this.at++;
				return basicTypes[c];
			}

			switch (c) {
				case 'A': {
					this.at++;
					const inner = this.type();
					return `[${inner}; ${this.constant()}]`;
				}

				case 'S': {
					this.at++;
					return `[${this.type()}]`;
				}

				case 'T': {
					this.at++;
					const items: string[] = [];
					while (!this.eat('E')) {
						items.push(this.type());
					}

					return items.length === 1 ? `(${items[0]!},)` : `(${items.join(', ')})`;
				}

				case 'R':
				case 'Q': {
					this.at++;
					const lifetime = this.eat('L') ? this.lifetime(this.base62()) : '';
					const shownLifetime = lifetime === '' || lifetime === '\'_' ? '' : `${lifetime} `;
					return `&${shownLifetime}${c === 'Q' ? 'mut ' : ''}${this.type()}`;
				}

				case 'P':
				case 'O': {
					this.at++;
					return `*${c === 'P' ? 'const' : 'mut'} ${this.type()}`;
				}

				case 'F': {
					this.at++;
					const saved = this.boundLifetimes;
					const binder = this.binder();
					const unsafe = this.eat('U') ? 'unsafe ' : '';
					let abi = '';
					if (this.eat('K')) {
						abi = this.eat('C') ? 'extern "C" ' : `extern "${this.identifier().name.replaceAll('_', '-')}" `;
					}

					const params: string[] = [];
					while (!this.eat('E')) {
						params.push(this.type());
					}

					const ret = this.type();
					this.boundLifetimes = saved;
					return `${binder}${unsafe}${abi}fn(${params.join(', ')})${ret === '()' ? '' : ` -> ${ret}`}`;
				}

				case 'D': {
					this.at++;
					const saved = this.boundLifetimes;
					const binder = this.binder();
					const bounds: string[] = [];
					while (!this.eat('E')) {
						bounds.push(this.dynTrait());
					}

					this.boundLifetimes = saved;
					this.expectLifetime();
					return `dyn ${binder}${bounds.join(' + ')}`;
				}

				case 'B': {
					this.at++;
					return this.backref(() => this.type());
				}

				default: {
					return this.path(true);
				}
			}
		} finally {
			this.depth--;
		}
	}

	private expectLifetime(): void {
		if (!this.eat('L')) {
			throw new Fail();
		}

		this.base62();
	}

	/** A dyn bound: a trait path with `Assoc = Type` bindings (p <identifier> <type>). */
	private dynTrait(): string {
		let path = this.path(true);
		const bindings: string[] = [];
		while (this.eat('p')) {
			const {name} = this.identifier();
			bindings.push(`${name} = ${this.type()}`);
		}

		if (bindings.length > 0) {
			path = path.endsWith('>') ? `${path.slice(0, -1)}, ${bindings.join(', ')}>` : `${path}<${bindings.join(', ')}>`;
		}

		return path;
	}

	private constant(): string {
		if (this.eat('B')) {
			return this.backref(() => this.constant());
		}

		if (this.eat('p')) {
			return '_';
		}

		const type = this.next();
		const negative = this.eat('n');
		let hex = '';
		while (this.peek() !== '_') {
			hex += this.next();
		}

		this.next();
		if (!/^[\da-f]*$/.test(hex)) {
			throw new Fail();
		}

		const value = hex === '' ? 0n : BigInt(`0x${hex}`);
		switch (type) {
			case 'b': {
				return value === 0n ? 'false' : 'true';
			}

			case 'c': {
				return `'${String.fromCodePoint(Number(value))}'`;
			}

			default: {
				return `${negative ? '-' : ''}${value}`;
			}
		}
	}
}

/** RFC 3492 Punycode (as Rust uses it: `_` separates the basic code points). */
function decodePunycode(input: string): string {
	const separator = input.lastIndexOf('_');
	const output = separator >= 0 ? [...input.slice(0, separator)] : [];
	const digits = separator >= 0 ? input.slice(separator + 1) : input;
	let n = 128;
	let i = 0;
	let bias = 72;
	let at = 0;
	const base = 36;
	while (at < digits.length) {
		const oldI = i;
		let w = 1;
		for (let k = base; ; k += base) {
			const c = digits[at++];
			if (c === undefined) {
				throw new Fail();
			}

			const digit = /[a-z]/.test(c) ? c.charCodeAt(0) - 97 : (/\d/.test(c) ? c.charCodeAt(0) - 22 : -1);
			if (digit < 0) {
				throw new Fail();
			}

			i += digit * w;
			const t = k <= bias ? 1 : (k >= bias + 26 ? 26 : k - bias);
			if (digit < t) {
				break;
			}

			w *= base - t;
		}

		const length = output.length + 1;
		let delta = oldI === 0 ? Math.floor((i - oldI) / 700) : Math.floor((i - oldI) / 2);
		delta += Math.floor(delta / length);
		let k = 0;
		while (delta > 455) {
			delta = Math.floor(delta / 35);
			k += base;
		}

		bias = k + Math.floor((36 * delta) / (delta + 38));
		n += Math.floor(i / length);
		i %= length;
		output.splice(i, 0, String.fromCodePoint(n));
		i++;
	}

	return output.join('');
}

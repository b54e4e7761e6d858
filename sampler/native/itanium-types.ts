// The Itanium C++ ABI mangling grammar below names: the parser's cursor and state, types,
// template arguments and parameters, expressions and substitutions. Names themselves (nested,
// local, special, operators) are parsed by the subclass in demangle-itanium.ts, which these
// rules call back into for the names inside types and expressions.
import {Fail, name, print, type Node} from './itanium-nodes.js';


const builtin: Record<string, string> = {
	v: 'void', w: 'wchar_t', b: 'bool', c: 'char', a: 'signed char', h: 'unsigned char', s: 'short', t: 'unsigned short',
	i: 'int', j: 'unsigned int', l: 'long', m: 'unsigned long', x: 'long long', y: 'unsigned long long', n: '__int128',
	o: 'unsigned __int128', f: 'float', d: 'double', e: 'long double', g: '__float128', z: '...',
};
const builtinD: Record<string, string> = {
	d: 'decimal64', e: 'decimal128', f: 'decimal32', h: 'half', i: 'char32_t', s: 'char16_t', u: 'char8_t', a: 'auto', c: 'decltype(auto)', n: 'decltype(nullptr)',
};

export const operators: Record<string, [string, number]> = {
	nw: ['new', 1], na: ['new[]', 1], dl: ['delete', 1], da: ['delete[]', 1], ps: ['+', 1], ng: ['-', 1], ad: ['&', 1], de: ['*', 1],
	co: ['~', 1], pl: ['+', 2], mi: ['-', 2], ml: ['*', 2], dv: ['/', 2], rm: ['%', 2], an: ['&', 2], or: ['|', 2], eo: ['^', 2],
	aS: ['=', 2], pL: ['+=', 2], mI: ['-=', 2], mL: ['*=', 2], dV: ['/=', 2], rM: ['%=', 2], aN: ['&=', 2], oR: ['|=', 2],
	eO: ['^=', 2], ls: ['<<', 2], rs: ['>>', 2], lS: ['<<=', 2], rS: ['>>=', 2], eq: ['==', 2], ne: ['!=', 2], lt: ['<', 2],
	gt: ['>', 2], le: ['<=', 2], ge: ['>=', 2], ss: ['<=>', 2], nt: ['!', 1], aa: ['&&', 2], oo: ['||', 2], pp: ['++', 1],
	mm: ['--', 1], cm: [',', 2], pm: ['->*', 2], pt: ['->', 2], cl: ['()', 2], ix: ['[]', 2], qu: ['?', 3], st: ['sizeof ', 1],
	sz: ['sizeof ', 1], at: ['alignof ', 1], az: ['alignof ', 1],
};

const stdAbbreviations: Record<string, string> = {
	// Written out in full, as c++filt prints them.
	a: 'std::allocator', b: 'std::basic_string', s: 'std::basic_string<char, std::char_traits<char>, std::allocator<char> >',
	i: 'std::basic_istream<char, std::char_traits<char> >', o: 'std::basic_ostream<char, std::char_traits<char> >',
	d: 'std::basic_iostream<char, std::char_traits<char> >',
};

export abstract class ItaniumParser {
	protected readonly text: string;
	protected at = 2;
	protected readonly subs: Node[] = [];
	protected templateArgs: Node[] = [];
	protected depth = 0;

	constructor(text: string) {
		this.text = text;
	}
	protected lastWasCtorDtor = false;


	protected peek(offset = 0): string {
		return this.text[this.at + offset] ?? '';
	}

	protected next(): string {
		const c = this.text[this.at];
		if (c === undefined) {
			throw new Fail();
		}

		this.at++;
		return c;
	}

	protected eat(prefix: string): boolean {
		if (this.text.startsWith(prefix, this.at)) {
			this.at += prefix.length;
			return true;
		}

		return false;
	}

	protected expect(prefix: string): void {
		if (!this.eat(prefix)) {
			throw new Fail();
		}
	}

	protected number(): number {
		const negative = this.eat('n');
		const start = this.at;
		while (/\d/.test(this.peek())) {
			this.at++;
		}

		if (this.at === start) {
			throw new Fail();
		}

		const value = Number(this.text.slice(start, this.at));
		return negative ? -value : value;
	}
	protected sourceName(): string {
		const length = this.number();
		if (length <= 0 || this.at + length > this.text.length) {
			throw new Fail();
		}

		const identifier = this.text.slice(this.at, this.at + length);
		this.at += length;
		return identifier.startsWith('_GLOBAL__N') ? '(anonymous namespace)' : identifier;
	}


	/** Mangled r V K, printed as c++filt does: const, volatile, restrict. */
	protected cvQualifiers(): string {
		const restrict = this.eat('r');
		const volatile = this.eat('V');
		const constant = this.eat('K');
		return (constant ? ' const' : '') + (volatile ? ' volatile' : '') + (restrict ? ' restrict' : '');
	}

	/** I <template-arg>+ E, printed as `<a, b>`; the arguments become the ones T_ refers to. */
	protected templateArgsList(): string {
		this.expect('I');
		const args: Node[] = [];
		while (!this.eat('E')) {
			args.push(this.templateArg());
		}

		this.templateArgs = args;
		// An empty pack prints nothing, not even its comma; c++filt separates `> >` only when
		// the last argument printed ends in `>`.
		const printed = args.map(arg => print(arg));
		const text = printed.filter(part => part !== '').join(', ');
		return `<${text}${printed.at(-1)?.endsWith('>') ? ' ' : ''}>`;
	}

	protected templateArg(): Node {
		const c = this.peek();
		if (c === 'L') {
			return name(this.exprPrimary());
		}

		if (c === 'X') {
			this.at++;
			const expression = this.expression();
			this.expect('E');
			return name(expression);
		}

		if (c === 'J') {
			this.at++;
			const items: Node[] = [];
			while (!this.eat('E')) {
				items.push(this.templateArg());
			}

			return {k: 'pack', items};
		}

		return this.type();
	}

	/** L <type> <value> E | L <mangled-name> E */
	protected exprPrimary(): string {
		this.expect('L');
		if (this.eat('_Z')) {
			const text = this.encoding(true);
			this.expect('E');
			return text;
		}

		const type = this.type();
		const typeName = print(type);
		let value = '';
		while (this.peek() !== 'E') {
			value += this.next();
		}

		this.expect('E');
		if (value.startsWith('n')) {
			value = `-${value.slice(1)}`;
		}

		switch (typeName) {
			case 'bool': {
				return value === '0' ? 'false' : 'true';
			}

			case 'int': {
				return value;
			}

			case 'unsigned int': {
				return `${value}u`;
			}

			case 'long': {
				return `${value}l`;
			}

			case 'unsigned long': {
				return `${value}ul`;
			}

			case 'long long': {
				return `${value}ll`;
			}

			case 'unsigned long long': {
				return `${value}ull`;
			}

			case 'decltype(nullptr)': {
				return 'nullptr';
			}

			default: {
				return `(${typeName})${value}`;
			}
		}
	}

	/** Expressions in template arguments and decltype: the forms compilers emit for common code. */
	protected expression(): string {
		const c = this.peek();
		if (c === 'L') {
			return this.exprPrimary();
		}

		if (c === 'T') {
			return print(this.templateParam());
		}

		if (this.eat('fp')) {
			this.cvQualifiers();
			const index = this.peek() === '_' ? 1 : this.number() + 2;
			this.expect('_');
			return `{parm#${index}}`;
		}

		if (this.eat('sr')) {
			const type = print(this.type());
			return `${type}::${this.unqualifiedName(undefined)}${this.peek() === 'I' ? this.templateArgsList() : ''}`;
		}

		if (this.eat('st')) {
			return `sizeof (${print(this.type())})`;
		}

		if (this.eat('sZ')) {
			return `sizeof...(${this.expression()})`;
		}

		if (this.eat('cl')) {
			const callee = this.expression();
			const args: string[] = [];
			while (!this.eat('E')) {
				args.push(this.expression());
			}

			return `${callee}(${args.join(', ')})`;
		}

		if (this.eat('cv')) {
			const type = print(this.type());
			if (this.eat('_')) {
				const args: string[] = [];
				while (!this.eat('E')) {
					args.push(this.expression());
				}

				return `(${type})(${args.join(', ')})`;
			}

			return `(${type})(${this.expression()})`;
		}

		if (/\d/.test(c)) {
			return this.sourceName();
		}

		const code = this.text.slice(this.at, this.at + 2);
		const op = operators[code];
		if (op) {
			this.at += 2;
			if (code === 'ad' && this.text.startsWith('L_Z', this.at)) {
				return `&${this.exprPrimary()}`;
			}

			if (op[1] === 1) {
				return `${op[0]}(${this.expression()})`;
			}

			if (op[1] === 2) {
				const left = this.expression();
				const right = this.expression();
				return `(${left})${op[0]}(${right})`;
			}

			const condition = this.expression();
			const yes = this.expression();
			const no = this.expression();
			return `(${condition})?(${yes}):(${no})`;
		}

		throw new Fail();
	}

	protected templateParam(): Node {
		this.expect('T');
		const index = this.peek() === '_' ? 0 : this.number() + 1;
		this.expect('_');
		const arg = this.templateArgs[index];
		if (!arg) {
			throw new Fail();
		}

		return arg;
	}

	/** <substitution>: S_, S<seq-id>_ or a std:: abbreviation. */
	protected substitution(): Node {
		this.expect('S');
		const c = this.peek();
		if (stdAbbreviations[c]) {
			this.at++;
			return name(stdAbbreviations[c]);
		}

		let index = 0;
		if (c !== '_') {
			let value = 0;
			while (this.peek() !== '_') {
				const digit = this.next();
				const code = /\d/.test(digit) ? Number(digit) : (/[A-Z]/.test(digit) ? digit.charCodeAt(0) - 55 : Number.NaN);
				if (Number.isNaN(code)) {
					throw new Fail();
				}

				value = (value * 36) + code;
			}

			index = value + 1;
		}

		this.expect('_');
		const node = this.subs[index];
		if (!node) {
			throw new Fail();
		}

		return node;
	}

	/** <type> */
	protected type(): Node {
		if (++this.depth > 300) {
			throw new Fail();
		}

		// T_ means the function's template arguments: those of a type's own template-id must
		// not replace them.
		const saved = this.templateArgs;
		const savedCtor = this.lastWasCtorDtor;
		try {
			return this.typeInner();
		} finally {
			this.depth--;
			this.templateArgs = saved;
			this.lastWasCtorDtor = savedCtor;
		}
	}

	protected typeInner(): Node {
		const c = this.peek();
		if (builtin[c] !== undefined) {
			this.at++;
			return name(builtin[c]);
		}

		switch (c) {
			case 'u': {
				this.at++;
				const node = name(this.sourceName());
				this.subs.push(node);
				return node;
			}

			case 'D': {
				const d = this.peek(1);
				if (builtinD[d] !== undefined) {
					this.at += 2;
					return name(builtinD[d]);
				}

				if (d === 'p') { // pack expansion
					this.at += 2;
					const node = this.type();
					this.subs.push(node);
					return node;
				}

				if (d === 't' || d === 'T') {
					this.at += 2;
					const expression = this.expression();
					this.expect('E');
					const node = name(`decltype (${expression})`);
					this.subs.push(node);
					return node;
				}

				if (d === 'F') { // _FloatN
					this.at += 2;
					const bits = this.number();
					this.eat('x');
					this.expect('_');
					return name(`_Float${bits}`);
				}

				if (d === 'x' || d === 'o' || d === 'O' || d === 'w') {
					// Exception specifications on function types: skip to the function type.
					this.at += 2;
					if (d === 'O') {
						this.expression();
						this.expect('E');
					} else if (d === 'w') {
						while (!this.eat('E')) {
							this.type();
						}
					}

					return this.type();
				}

				throw new Fail();
			}

			case 'P':
			case 'R':
			case 'O': {
				this.at++;
				const inner = this.type();
				const node: Node = {k: 'qual', inner, q: c === 'P' ? '*' : (c === 'R' ? '&' : '&&')};
				this.subs.push(node);
				return node;
			}

			case 'r':
			case 'V':
			case 'K': {
				const cv = this.cvQualifiers();
				const inner = this.type();
				const node: Node = inner.k === 'func' ? {...inner, suffix: inner.suffix + cv} : {k: 'cv', inner, cv};
				this.subs.push(node);
				return node;
			}

			case 'F': {
				this.at++;
				this.eat('Y');
				const ret = this.type();
				const params: Node[] = [];
				let suffix = '';
				for (;;) {
					if (this.eat('E')) {
						break;
					}

					if (this.eat('RE')) {
						suffix = ' &';
						break;
					}

					if (this.eat('OE')) {
						suffix = ' &&';
						break;
					}

					params.push(this.type());
				}

				const shown = params.length === 1 && params[0]!.k === 'name' && params[0]!.s === 'void' ? [] : params;
				const node: Node = {k: 'func', ret, params: shown, suffix};
				this.subs.push(node);
				return node;
			}

			case 'A': {
				this.at++;
				let dim = '';
				if (/\d/.test(this.peek())) {
					dim = String(this.number());
				} else if (this.peek() !== '_') {
					dim = this.expression();
				}

				this.expect('_');
				const node: Node = {k: 'array', inner: this.type(), dim};
				this.subs.push(node);
				return node;
			}

			case 'M': {
				this.at++;
				const cls = this.type();
				const member = this.type();
				const node: Node = {k: 'memptr', cls, member};
				this.subs.push(node);
				return node;
			}

			case 'T': {
				const node = this.templateParam();
				this.subs.push(node);
				if (this.peek() === 'I') {
					const withArgs = name(print(node) + this.templateArgsList());
					this.subs.push(withArgs);
					return withArgs;
				}

				return node;
			}

			case 'S': {
				if (this.peek(1) === 't') {
					this.at += 2;
					let node = name(`std::${this.unqualifiedName(undefined)}`);
					this.subs.push(node);
					if (this.peek() === 'I') {
						node = name(print(node) + this.templateArgsList());
						this.subs.push(node);
					}

					return node;
				}

				let node = this.substitution();
				if (this.peek() === 'I') {
					node = name(print(node) + this.templateArgsList());
					this.subs.push(node);
				}

				return node;
			}

			case 'N':
			case 'Z': {
				const {node} = this.nameWithInfo();
				this.subs.push(node);
				return node;
			}

			default: {
				if (/\d/.test(c)) {
					let node = name(this.sourceName());
					this.subs.push(node);
					if (this.peek() === 'I') {
						node = name(print(node) + this.templateArgsList());
						this.subs.push(node);
					}

					return node;
				}

				throw new Fail();
			}
		}
	}

	/** <encoding>: a function or data name, with its signature when it has one. */
	protected abstract encoding(nameOnly?: boolean): string;

	/** <name>, with whether it ends in template arguments and its cv-qualifiers. */
	protected abstract nameWithInfo(): {node: Node; isTemplate: boolean; cv: string};

	/** <unqualified-name> inside `scope` (which names constructors and destructors). */
	protected abstract unqualifiedName(scope: string | undefined): string;
}

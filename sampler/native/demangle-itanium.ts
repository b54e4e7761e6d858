// A demangler for C++ names in the Itanium C++ ABI's mangling (GCC and Clang on Linux),
// written from the ABI's grammar (itanium-cxx-abi.github.io/cxx-abi/abi.html#mangling). It
// prints names as binutils' c++filt does (`std::vector<int, std::allocator<int> >::push_back(int const&)`),
// for the subset a profiler meets: nested, local and template names, substitutions, template
// parameters, operators, constructors and destructors, function, pointer, reference, array and
// member-pointer types, literals, lambdas, ABI tags, special names and clone suffixes.
// Expressions in template arguments are handled for the common forms; anything it cannot
// parse makes it give up (undefined), and the symbol is shown mangled.

class Fail extends Error {}

/** A type or name as a tree, printed in two halves around a declarator (as C++ declarators nest). */
type Node =
	| {readonly k: 'name'; readonly s: string}
	| {readonly k: 'qual'; readonly inner: Node; readonly q: string} // pointer/reference: '*', '&', '&&'
	| {readonly k: 'cv'; readonly inner: Node; readonly cv: string}
	| {readonly k: 'func'; readonly ret: Node | undefined; readonly params: Node[]; readonly suffix: string}
	| {readonly k: 'array'; readonly inner: Node; readonly dim: string}
	| {readonly k: 'memptr'; readonly cls: Node; readonly member: Node}
	| {readonly k: 'pack'; readonly items: Node[]};

const name = (s: string): Node => ({k: 'name', s});

const builtin: Record<string, string> = {
	v: 'void', w: 'wchar_t', b: 'bool', c: 'char', a: 'signed char', h: 'unsigned char', s: 'short', t: 'unsigned short',
	i: 'int', j: 'unsigned int', l: 'long', m: 'unsigned long', x: 'long long', y: 'unsigned long long', n: '__int128',
	o: 'unsigned __int128', f: 'float', d: 'double', e: 'long double', g: '__float128', z: '...',
};
const builtinD: Record<string, string> = {
	d: 'decimal64', e: 'decimal128', f: 'decimal32', h: 'half', i: 'char32_t', s: 'char16_t', u: 'char8_t', a: 'auto', c: 'decltype(auto)', n: 'decltype(nullptr)',
};

const operators: Record<string, [string, number]> = {
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

export function demangleItanium(symbol: string): string | undefined {
	// Clone suffixes (.cold, .isra.0, .constprop.0, .part.0) follow the mangled name.
	const match = /^(_Z[^.]*)((?:\.[\w$]+)*)$/.exec(symbol);
	if (!match) {
		return undefined;
	}

	try {
		const parser = new Parser(match[1]!);
		const text = parser.encodingTop();
		const clones = match[2] ? match[2].slice(1).split(/\.(?=[A-Za-z_])/).map(part => ` [clone .${part}]`).join('') : '';
		return text + clones;
	} catch (error) {
		if (error instanceof Fail || error instanceof RangeError) {
			return undefined;
		}

		throw error;
	}
}

class Parser {
	private readonly text: string;
	private at = 2;
	private readonly subs: Node[] = [];
	private templateArgs: Node[] = [];
	private depth = 0;

	constructor(text: string) {
		this.text = text;
	}

	private peek(offset = 0): string {
		return this.text[this.at + offset] ?? '';
	}

	private next(): string {
		const c = this.text[this.at];
		if (c === undefined) {
			throw new Fail();
		}

		this.at++;
		return c;
	}

	private eat(prefix: string): boolean {
		if (this.text.startsWith(prefix, this.at)) {
			this.at += prefix.length;
			return true;
		}

		return false;
	}

	private expect(prefix: string): void {
		if (!this.eat(prefix)) {
			throw new Fail();
		}
	}

	private number(): number {
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

	encodingTop(): string {
		const result = this.encoding();
		if (this.at !== this.text.length) {
			throw new Fail();
		}

		return result;
	}

	/** <encoding> ::= <name> <bare-function-type> | <name> | <special-name> */
	private encoding(nameOnly = false): string {
		if (++this.depth > 200) {
			throw new Fail();
		}

		try {
			if (this.peek() === 'T' || (this.peek() === 'G' && this.peek(1) === 'V') || (this.peek() === 'G' && this.peek(1) === 'R')) {
				return this.specialName();
			}

			const {node, isTemplate, cv} = this.nameWithInfo();
			const text = print(node);
			if (this.at >= this.text.length || this.peek() === 'E' || this.peek() === '.') {
				return text;
			}

			if (nameOnly) {
				// An entity named in an expression (&f): its signature is parsed, not shown.
				if (isTemplate && !this.lastWasCtorDtor) {
					this.type();
				}

				this.bareFunctionParams();
				return text;
			}

			// Template functions mangle their return type first (except constructors etc.).
			let ret: Node | undefined;
			if (isTemplate && !this.lastWasCtorDtor) {
				ret = this.type();
			}

			const params = this.bareFunctionParams();
			const func: Node = {k: 'func', ret, params, suffix: cv};
			return printFunction(text, func);
		} finally {
			this.depth--;
		}
	}

	private lastWasCtorDtor = false;

	private bareFunctionParams(): Node[] {
		const params: Node[] = [];
		while (this.at < this.text.length && this.peek() !== 'E' && this.peek() !== '.') {
			params.push(this.type());
		}

		if (params.length === 1 && params[0]!.k === 'name' && params[0]!.s === 'void') {
			return [];
		}

		return params;
	}

	private specialName(): string {
		if (this.eat('GV')) {
			return `guard variable for ${print(this.nameWithInfo().node)}`;
		}

		if (this.eat('GR')) {
			const node = this.nameWithInfo().node;
			while (this.peek() !== '_' && this.at < this.text.length) {
				this.at++;
			}

			this.eat('_');
			return `reference temporary for ${print(node)}`;
		}

		this.expect('T');
		const c = this.next();
		switch (c) {
			case 'V': {
				return `vtable for ${print(this.type())}`;
			}

			case 'T': {
				return `VTT for ${print(this.type())}`;
			}

			case 'I': {
				return `typeinfo for ${print(this.type())}`;
			}

			case 'S': {
				return `typeinfo name for ${print(this.type())}`;
			}

			case 'h': {
				this.callOffsetTail('h');
				return `non-virtual thunk to ${this.encoding()}`;
			}

			case 'v': {
				this.callOffsetTail('v');
				return `virtual thunk to ${this.encoding()}`;
			}

			case 'c': {
				this.callOffset();
				this.callOffset();
				return `covariant return thunk to ${this.encoding()}`;
			}

			case 'W': {
				return `TLS wrapper function for ${print(this.nameWithInfo().node)}`;
			}

			case 'H': {
				return `TLS init function for ${print(this.nameWithInfo().node)}`;
			}

			default: {
				throw new Fail();
			}
		}
	}

	private callOffset(): void {
		const kind = this.next();
		this.callOffsetTail(kind);
	}

	private callOffsetTail(kind: string): void {
		this.number();
		if (kind === 'v') {
			this.expect('_');
			this.number();
		}

		this.expect('_');
	}

	/** <name>, with whether it ends in template args (then a return type follows) and its member cv-qualifiers. */
	private nameWithInfo(): {node: Node; isTemplate: boolean; cv: string} {
		this.lastWasCtorDtor = false;
		const c = this.peek();
		if (c === 'N') {
			return this.nestedName();
		}

		if (c === 'Z') {
			return this.localName();
		}

		// <unscoped-name> [<template-args>] | <unscoped-template-name> <template-args>
		let node: Node;
		if (c === 'S' && this.peek(1) !== 't') {
			node = this.substitution();
			if (this.peek() !== 'I') {
				throw new Fail(); // A substitution alone is not a name here.
			}
		} else {
			const std = this.eat('St');
			node = name((std ? 'std::' : '') + this.unqualifiedName(undefined));
		}

		if (this.peek() === 'I') {
			if (c !== 'S' || this.text[this.at - 1] !== '_') {
				this.subs.push(node);
			}

			// The template's name is a candidate, the function's whole name is not.
			const args = this.templateArgsList();
			node = name(print(node) + args);
			return {node, isTemplate: true, cv: ''};
		}

		return {node, isTemplate: false, cv: ''};
	}

	/** N [<CV-qualifiers>] [<ref-qualifier>] <prefix> <unqualified-name> E */
	private nestedName(): {node: Node; isTemplate: boolean; cv: string} {
		this.expect('N');
		const cv = this.cvQualifiers();
		let ref = '';
		if (this.eat('R')) {
			ref = ' &';
		} else if (this.eat('O')) {
			ref = ' &&';
		}

		let current: string | undefined;
		let isTemplate = false;
		for (let guard = 0; ; guard++) {
			if (guard > 256) {
				throw new Fail();
			}

			const c = this.peek();
			if (c === 'E') {
				this.at++;
				break;
			}

			if (c === '') {
				throw new Fail();
			}

			isTemplate = false;
			if (c === 'S' && this.peek(1) !== 't') {
				current = print(this.substitution());
				continue;
			}

			if (c === 'S' && this.peek(1) === 't') {
				this.at += 2;
				current = current === undefined ? 'std' : `${current}::std`;
				continue;
			}

			if (c === 'I') {
				if (current === undefined) {
					throw new Fail();
				}

				current += this.templateArgsList();
				this.subs.push(name(current));
				isTemplate = true;
				continue;
			}

			if (c === 'T') {
				current = print(this.templateParam());
				this.subs.push(name(current));
				continue;
			}

			if (c === 'D' && (this.peek(1) === 't' || this.peek(1) === 'T')) {
				current = print(this.type());
				this.subs.push(name(current));
				continue;
			}

			if (c === 'M') {
				this.at++; // <data-member-prefix>: the closure's context, already in current.
				continue;
			}

			const part = this.unqualifiedName(current);
			current = current === undefined ? part : `${current}::${part}`;
			this.subs.push(name(current));
		}

		if (current === undefined) {
			throw new Fail();
		}

		// Every prefix is a substitution candidate, the whole name is not (a template's name
		// without its arguments stays one): the last candidate pushed goes.
		this.subs.pop();

		return {node: name(current), isTemplate, cv: cv + ref};
	}

	/** Z <encoding> E <entity name> [<discriminator>] | Z <encoding> E s [<discriminator>] */
	private localName(): {node: Node; isTemplate: boolean; cv: string} {
		this.expect('Z');
		const savedTemplateArgs = this.templateArgs;
		const outer = this.encoding();
		this.templateArgs = savedTemplateArgs;
		this.expect('E');
		if (this.eat('s')) {
			this.discriminator();
			return {node: name(`${outer}::string literal`), isTemplate: false, cv: ''};
		}

		if (this.eat('d')) {
			// Default argument scope: d [<number>] _ <name>
			if (this.peek() !== '_') {
				this.number();
			}

			this.expect('_');
		}

		const inner = this.nameWithInfo();
		this.discriminator();
		return {node: name(`${outer}::${print(inner.node)}`), isTemplate: inner.isTemplate, cv: inner.cv};
	}

	private discriminator(): void {
		if (this.eat('__')) {
			this.number();
			this.expect('_');
		} else if (this.eat('_')) {
			this.number();
		}
	}

	/** <unqualified-name>: source name, operator, constructor/destructor, unnamed type, with ABI tags. */
	private unqualifiedName(scope: string | undefined): string {
		const c = this.peek();
		let result: string;
		if (/\d/.test(c)) {
			result = this.sourceName();
		} else if (c === 'C' && /[1-5I]/.test(this.peek(1))) {
			this.at++;
			this.eat('I');
			this.next();
			result = lastComponent(scope);
			this.lastWasCtorDtor = true;
		} else if (c === 'D' && /[0-5]/.test(this.peek(1))) {
			this.at += 2;
			result = `~${lastComponent(scope)}`;
			this.lastWasCtorDtor = true;
		} else if (c === 'U') {
			result = this.unnamedType();
		} else if (c === 'L') {
			this.at++; // Internal linkage marker (GCC): the name follows.
			result = this.sourceName();
			this.discriminator();
		} else {
			result = this.operatorName();
		}

		while (this.peek() === 'B') {
			this.at++;
			result += `[abi:${this.sourceName()}]`;
		}

		return result;
	}

	private sourceName(): string {
		const length = this.number();
		if (length <= 0 || this.at + length > this.text.length) {
			throw new Fail();
		}

		const identifier = this.text.slice(this.at, this.at + length);
		this.at += length;
		return identifier.startsWith('_GLOBAL__N') ? '(anonymous namespace)' : identifier;
	}

	private unnamedType(): string {
		this.expect('U');
		if (this.eat('t')) {
			const index = this.peek() === '_' ? 1 : this.number() + 2;
			this.expect('_');
			return `{unnamed type#${index}}`;
		}

		if (this.eat('l')) {
			const params: Node[] = [];
			while (this.peek() !== 'E') {
				params.push(this.type());
			}

			this.expect('E');
			const index = this.peek() === '_' ? 1 : this.number() + 2;
			this.expect('_');
			const shown = params.length === 1 && params[0]!.k === 'name' && params[0]!.s === 'void' ? [] : params;
			return `{lambda(${shown.map(param => print(param)).join(', ')})#${index}}`;
		}

		throw new Fail();
	}

	private operatorName(): string {
		const code = this.text.slice(this.at, this.at + 2);
		if (code === 'cv') {
			this.at += 2;
			this.lastWasCtorDtor = true; // A conversion has no mangled return type either.
			return `operator ${print(this.type())}`;
		}

		if (code === 'li') {
			this.at += 2;
			return `operator"" ${this.sourceName()}`;
		}

		if (code[0] === 'v' && /\d/.test(code[1] ?? '')) {
			this.at += 2;
			return `operator ${this.sourceName()}`;
		}

		const op = operators[code];
		if (!op) {
			throw new Fail();
		}

		this.at += 2;
		return `operator${/^[a-z]/.test(op[0]) ? ' ' : ''}${op[0].trimEnd()}`;
	}

	/** Mangled r V K, printed as c++filt does: const, volatile, restrict. */
	private cvQualifiers(): string {
		const restrict = this.eat('r');
		const volatile = this.eat('V');
		const constant = this.eat('K');
		return (constant ? ' const' : '') + (volatile ? ' volatile' : '') + (restrict ? ' restrict' : '');
	}

	/** I <template-arg>+ E, printed as `<a, b>`; the arguments become the ones T_ refers to. */
	private templateArgsList(): string {
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

	private templateArg(): Node {
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
	private exprPrimary(): string {
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
	private expression(): string {
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

	private templateParam(): Node {
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
	private substitution(): Node {
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
	private type(): Node {
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

	private typeInner(): Node {
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
}

function lastComponent(scope: string | undefined): string {
	if (scope === undefined) {
		throw new Fail();
	}

	// The class name: the last component, without its template arguments.
	let depth = 0;
	let end = scope.length;
	for (let index = scope.length - 1; index >= 0; index--) {
		const c = scope[index];
		if (c === '>') {
			depth++;
		} else if (c === '<') {
			depth--;
			if (depth === 0) {
				end = index;
			}
		} else if (c === ':' && depth === 0 && scope[index - 1] === ':') {
			return scope.slice(index + 1, end);
		}
	}

	return scope.slice(0, end);
}

/** Prints a function's signature around its name: `ret name(params) cv`. */
function printFunction(nameText: string, func: Extract<Node, {k: 'func'}>): string {
	const params = `(${func.params.map(param => print(param)).join(', ')})${func.suffix}`;
	if (!func.ret) {
		return nameText + params;
	}

	const left = printLeft(func.ret);
	const right = printRight(func.ret);
	return `${left}${needsSpace(left) ? ' ' : ''}${nameText}${params}${right}`;
}

function needsSpace(left: string): boolean {
	return left !== '' && !left.endsWith('(');
}

export function print(node: Node): string {
	const left = printLeft(node);
	const right = printRight(node);
	// A bare function type reads `void (int)`, as c++filt prints it.
	return node.k === 'func' && left !== '' ? `${left} ${right}` : left + right;
}

/** The part of a declarator before the declared name. */
function printLeft(node: Node): string {
	switch (node.k) {
		case 'name': {
			return node.s;
		}

		case 'pack': {
			return node.items.map(item => print(item)).filter(part => part !== '').join(', ');
		}

		case 'cv': {
			return printLeft(node.inner) + node.cv;
		}

		case 'qual': {
			const inner = node.inner;
			if (inner.k === 'func' || inner.k === 'array') {
				const left = printLeft(inner);
				return `${left}${left.endsWith('(') ? '' : ' '}(${node.q}`;
			}

			if (inner.k === 'memptr') {
				return `${printLeft(inner)}${node.q}`;
			}

			return printLeft(inner) + node.q;
		}

		case 'func': {
			return node.ret ? printLeft(node.ret) : '';
		}

		case 'array': {
			return printLeft(node.inner);
		}

		case 'memptr': {
			const member = node.member;
			if (member.k === 'func') {
				return `${printLeft(member)} (${print(node.cls)}::*`;
			}

			return `${printLeft(member)} ${print(node.cls)}::*`;
		}
	}
}

/** The part of a declarator after the declared name. */
function printRight(node: Node): string {
	switch (node.k) {
		case 'name':
		case 'pack': {
			return '';
		}

		case 'cv': {
			return printRight(node.inner);
		}

		case 'qual': {
			const inner = node.inner;
			if (inner.k === 'func' || inner.k === 'array') {
				return `)${printRight(inner)}`;
			}

			return printRight(inner);
		}

		case 'func': {
			return `(${node.params.map(param => print(param)).join(', ')})${node.suffix}${node.ret ? printRight(node.ret) : ''}`;
		}

		case 'array': {
			return ` [${node.dim}]${printRight(node.inner)}`;
		}

		case 'memptr': {
			return node.member.k === 'func' ? `)${printRight(node.member)}` : printRight(node.member);
		}
	}
}

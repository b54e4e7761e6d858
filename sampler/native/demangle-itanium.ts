// A demangler for C++ names in the Itanium C++ ABI's mangling (GCC and Clang on Linux),
// written from the ABI's grammar (itanium-cxx-abi.github.io/cxx-abi/abi.html#mangling). It
// prints names as binutils' c++filt does (`std::vector<int, std::allocator<int> >::push_back(int const&)`),
// for the subset a profiler meets: nested, local and template names, substitutions, template
// parameters, operators, constructors and destructors, function, pointer, reference, array and
// member-pointer types, literals, lambdas, ABI tags, special names and clone suffixes.
// Expressions in template arguments are handled for the common forms; anything it cannot
// parse makes it give up (undefined), and the symbol is shown mangled.
import {ItaniumParser, operators} from './itanium-types.js';
import {Fail, name, print, printFunction, type Node} from './itanium-nodes.js';

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

/** Encodings, special names and names: the grammar's top, over the types of ItaniumParser. */
class Parser extends ItaniumParser {
	encodingTop(): string {
		const result = this.encoding();
		if (this.at !== this.text.length) {
			throw new Fail();
		}

		return result;
	}

	/** <encoding> ::= <name> <bare-function-type> | <name> | <special-name> */
	protected override encoding(nameOnly = false): string {
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

	protected bareFunctionParams(): Node[] {
		const params: Node[] = [];
		while (this.at < this.text.length && this.peek() !== 'E' && this.peek() !== '.') {
			params.push(this.type());
		}

		if (params.length === 1 && params[0]!.k === 'name' && params[0]!.s === 'void') {
			return [];
		}

		return params;
	}

	protected specialName(): string {
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

	protected callOffset(): void {
		const kind = this.next();
		this.callOffsetTail(kind);
	}

	protected callOffsetTail(kind: string): void {
		this.number();
		if (kind === 'v') {
			this.expect('_');
			this.number();
		}

		this.expect('_');
	}

	/** <name>, with whether it ends in template args (then a return type follows) and its member cv-qualifiers. */
	protected override nameWithInfo(): {node: Node; isTemplate: boolean; cv: string} {
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
	protected nestedName(): {node: Node; isTemplate: boolean; cv: string} {
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
	protected localName(): {node: Node; isTemplate: boolean; cv: string} {
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

	protected discriminator(): void {
		if (this.eat('__')) {
			this.number();
			this.expect('_');
		} else if (this.eat('_')) {
			this.number();
		}
	}

	/** <unqualified-name>: source name, operator, constructor/destructor, unnamed type, with ABI tags. */
	protected override unqualifiedName(scope: string | undefined): string {
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

	protected unnamedType(): string {
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

	protected operatorName(): string {
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

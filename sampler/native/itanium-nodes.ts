// The tree a mangled C++ name parses into (demangle-itanium.ts, itanium-types.ts), and its
// printing as c++filt prints it: declarators nest, so a type prints in two halves around the
// declared name (`int (*)[4]`, `void (Foo::*)(int)`).

/** Thrown where the grammar does not match: the symbol is shown mangled. */
export class Fail extends Error {}

/** A type or name as a tree, printed in two halves around a declarator (as C++ declarators nest). */
export type Node =
	| {readonly k: 'name'; readonly s: string}
	| {readonly k: 'qual'; readonly inner: Node; readonly q: string} // pointer/reference: '*', '&', '&&'
	| {readonly k: 'cv'; readonly inner: Node; readonly cv: string}
	| {readonly k: 'func'; readonly ret: Node | undefined; readonly params: Node[]; readonly suffix: string}
	| {readonly k: 'array'; readonly inner: Node; readonly dim: string}
	| {readonly k: 'memptr'; readonly cls: Node; readonly member: Node}
	| {readonly k: 'pack'; readonly items: Node[]};

export const name = (s: string): Node => ({k: 'name', s});

/** Prints a function's signature around its name: `ret name(params) cv`. */
export function printFunction(nameText: string, func: Extract<Node, {k: 'func'}>): string {
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

// A small JSON Schema (draft-07) checker: the keywords speedscope's file-format schema uses
// ($ref to #/definitions, type, const, enum, properties, required, items, anyOf). Returns
// where the value breaks the schema, or nothing.
type Schema = {
	readonly $ref?: string;
	readonly type?: string;
	readonly const?: unknown;
	readonly enum?: readonly unknown[];
	readonly properties?: Readonly<Record<string, Schema>>;
	readonly required?: readonly string[];
	readonly items?: Schema;
	readonly anyOf?: readonly Schema[];
	readonly definitions?: Readonly<Record<string, Schema>>;
};

const known = new Set(['$ref', 'type', 'const', 'enum', 'properties', 'required', 'items', 'anyOf', 'definitions', 'title', '$schema', 'description', 'additionalProperties']);

function typeOf(value: unknown): string {
	if (Array.isArray(value)) {
		return 'array';
	}

	return value === null ? 'null' : typeof value;
}

export function schemaErrors(root: Schema, value: unknown, at = '$', schema: Schema = root): string[] {
	for (const keyword of Object.keys(schema)) {
		if (!known.has(keyword)) {
			return [`${at}: the checker does not know the keyword ${keyword}`];
		}
	}

	if (schema.$ref !== undefined) {
		const name = /^#\/definitions\/(.+)$/.exec(schema.$ref)?.[1];
		const target = name === undefined ? undefined : root.definitions?.[decodeURIComponent(name)];
		return target ? schemaErrors(root, value, at, target) : [`${at}: unknown $ref ${schema.$ref}`];
	}

	if (schema.anyOf) {
		const failures = schema.anyOf.map(option => schemaErrors(root, value, at, option));
		return failures.some(errors => errors.length === 0) ? [] : [`${at}: matches none of anyOf (${failures.map(errors => errors[0]).join(' | ')})`];
	}

	const actual = typeOf(value);
	if (schema.type !== undefined && actual !== schema.type) {
		return [`${at}: ${actual}, not ${schema.type}`];
	}

	if ('const' in schema && value !== schema.const) {
		return [`${at}: ${JSON.stringify(value)}, not ${JSON.stringify(schema.const)}`];
	}

	if (schema.enum && !schema.enum.includes(value)) {
		return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
	}

	const errors: string[] = [];
	if (actual === 'object') {
		const object = value as Record<string, unknown>;
		for (const name of schema.required ?? []) {
			if (!(name in object)) {
				errors.push(`${at}: ${name} is required`);
			}
		}

		for (const [name, property] of Object.entries(schema.properties ?? {})) {
			if (name in object) {
				errors.push(...schemaErrors(root, object[name], `${at}.${name}`, property));
			}
		}
	}

	if (actual === 'array' && schema.items) {
		for (const [index, item] of (value as unknown[]).entries()) {
			errors.push(...schemaErrors(root, item, `${at}[${index}]`, schema.items));
			if (errors.length > 20) {
				break;
			}
		}
	}

	return errors;
}

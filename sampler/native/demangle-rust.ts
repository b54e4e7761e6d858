// placeholder
export function demangleRustV0(symbol: string): string | undefined {
	void symbol;
	return undefined;
}
export function demangleRustLegacy(symbol: string): string | undefined {
	void symbol;
	return undefined;
}

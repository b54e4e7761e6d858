// placeholder
export function demangleItanium(symbol: string): string | undefined {
	void symbol;
	return undefined;
}

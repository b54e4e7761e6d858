// Errors meant for the person at the terminal: printed as one line, never with a stack trace.
// Every layer throws them; only the command line prints them.

export class UserError extends Error {
	readonly exitCode: number;
	constructor(message: string, exitCode = 1) {
		super(message);
		this.exitCode = exitCode;
		this.name = 'UserError';
	}
}

/** The process runs no CPython (a shell, a launcher): --subprocesses may still read its Python descendants. */
export class NotPythonError extends UserError {}

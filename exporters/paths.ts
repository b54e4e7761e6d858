// How file names are shown: basenames in tables and collapsed stacks, as Tachyon prints them.
import path from 'node:path';

export function shortFilename(filename: string): string {
	return filename.startsWith('<') ? filename : path.basename(filename);
}

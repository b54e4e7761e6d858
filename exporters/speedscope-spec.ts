// speedscope's own file format (https://www.speedscope.app/file-format-schema.json), as types:
// the part of it --speedscope writes. The speedscope package (a devDependency) ships the JSON
// schema these mirror; test/speedscope-export.test.ts validates our files against it.

export const speedscopeSchema = 'https://www.speedscope.app/file-format-schema.json';

/** One frame, shared by every profile of the file and referred to by its index. */
export type SpeedscopeFrame = {
	readonly name: string;
	readonly file?: string;
	readonly line?: number;
	readonly col?: number;
};

export type SpeedscopeUnit = 'none' | 'nanoseconds' | 'microseconds' | 'milliseconds' | 'seconds' | 'bytes';

/** A sampled profile: each sample a stack of frame indices, root first, with its weight. */
export type SpeedscopeSampledProfile = {
	readonly type: 'sampled';
	readonly name: string;
	readonly unit: SpeedscopeUnit;
	readonly startValue: number;
	readonly endValue: number;
	readonly samples: ReadonlyArray<readonly number[]>;
	readonly weights: readonly number[];
};

export type SpeedscopeFile = {
	readonly $schema: typeof speedscopeSchema;
	readonly shared: {readonly frames: readonly SpeedscopeFrame[]};
	readonly profiles: readonly SpeedscopeSampledProfile[];
	readonly name?: string;
	/** The profile shown first. */
	readonly activeProfileIndex?: number;
	/** `name@version` of the program that wrote the file. */
	readonly exporter?: string;
};

// Colours in one place, as functions returning Text props. NO_COLOR (any value) turns colour
// off; the selected row then shows in inverse video, which is not colour, and the `›` cursor.
import type {TextProps} from 'ink';

export const colorEnabled = (): boolean => process.env['NO_COLOR'] === undefined;

const colored = (props: TextProps): TextProps => (colorEnabled() ? props : {});

export const theme = {
	title: (): TextProps => colored({color: 'cyan', bold: true}),
	label: (): TextProps => ({dimColor: true}),
	value: (): TextProps => ({bold: true}),
	badge: (): TextProps => (colorEnabled() ? {color: 'black', backgroundColor: 'yellow', bold: true} : {inverse: true}),
	warning: (): TextProps => colored({color: 'red', bold: true}),
	notice: (): TextProps => colored({color: 'green'}),
	heading: (sorted: boolean): TextProps => (sorted ? colored({color: 'cyan', bold: true, underline: true}) : {bold: true}),
	selectedRow: (): TextProps => (colorEnabled() ? {backgroundColor: 'blue', color: 'white'} : {inverse: true}),
	dim: (): TextProps => ({dimColor: true}),
	match: (): TextProps => colored({color: 'yellow', bold: true}),
	key: (): TextProps => colored({color: 'cyan', bold: true}),
	file: (): TextProps => colored({color: 'gray'}),
} as const;

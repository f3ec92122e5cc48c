/**
 * The earliest and latest representable times (the range of a JS Date). They stand
 * for -∞ and +∞ and, unlike the infinities, survive JSON in checkpoints.
 * A watermark of {@link END_OF_TIME} means the input is over: every timer fires.
 */
export const BEGINNING_OF_TIME = -8_640_000_000_000_000;
export const END_OF_TIME = 8_640_000_000_000_000;

/**
 * The most history calls the fake service may see in any 1 s window. The token
 * bucket lets `burst` (20) calls go at once and `perSecond` (500) after that, so
 * calls leave the job at most 520 to a second. The service stamps a call when its
 * event loop gets to the request, a few ms after it left, so arrivals bunch up a
 * little: 20 ms of that drift is allowed (10 more calls).
 */
export const MOST_CALLS_IN_A_SECOND = 20 + 500 * 1.02;

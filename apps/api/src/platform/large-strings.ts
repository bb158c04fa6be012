/**
 * V8 keeps every string over 128 KiB in its large-object space, in memory mapped for that string
 * alone and unmapped once it dies. On this machine kind each such string costs about 30 page faults,
 * 20 to 30 times the copy itself (docs/performance.md, issue #25, eighteenth session). A usage batch
 * of a thousand events crosses that size twice: as the request body, and as the statement's rows.
 */
export const V8_LARGE_STRING_BYTES = 128 * 1024;

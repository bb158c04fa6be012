import type { DestinationStream } from 'pino';

/**
 * Where log lines go: standard output unless a module provides this token (tests capture the lines
 * to check what never reaches them).
 */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');
export type LogDestination = DestinationStream;

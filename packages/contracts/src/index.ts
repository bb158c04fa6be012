export * from './events';
export * from './api/common';
export * from './api/platform';
export * from './api/billing';
export * from './api/accounts';
export * from './api/events';
export * from './schemas';
export * from './client';

export * from './events';
export * from './api/common';
export * from './api/platform';
export * from './api/billing';
export * from './api/accounts';

export { SymphainyError, isSymphainyError } from './symphainy-error.ts';
export * from './errors.ts';

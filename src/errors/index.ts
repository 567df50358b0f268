export { SymphainyError, isSymphainyError, type ErrorIssue } from './symphainy-error.ts';
export * from './errors.ts';

/**
 * The runtime (database, backends, realms), imported when a command runs —
 * never to build the program or print help, which keeps start-up to
 * commander and the command modules.
 */
export const openRuntime = (): Promise<typeof import('./open-runtime.ts')> => import('./open-runtime.ts');

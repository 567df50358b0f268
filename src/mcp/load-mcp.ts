import { importOptional } from '../package/optional-packages.ts';

/** The optional peer package the MCP server needs. */
export const MCP_SDK_PACKAGE = '@modelcontextprotocol/sdk';

/**
 * Loads the MCP server module (and with it the MCP SDK) on first use, so a
 * runtime that never serves MCP never loads the SDK. Throws
 * MissingPackageError (SYM_ERR_MISSING_PACKAGE) naming the package to
 * install when it is absent.
 */
export function loadMcpServer(purpose: string): Promise<typeof import('./mcp-server.ts')> {
  return importOptional(() => import('./mcp-server.ts'), [MCP_SDK_PACKAGE], purpose);
}

/** The MCP server: intent types as MCP tools (stdio: `symphainy mcp`; streamable HTTP: `/mcp` on `serve`). */
export { DEFAULT_MCP_SESSION, SESSION_ARGUMENT, callMcpTool, mcpToolName, mcpTools } from './tools.ts';
export type { JsonObjectSchema, McpCallContext, McpTool, McpToolResult } from './tools.ts';
export { MCP_SDK_PACKAGE, loadMcpServer } from './load-mcp.ts';

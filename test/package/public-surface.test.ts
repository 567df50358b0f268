import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

// The runtime values each entry point of the package exports: a small, deliberate surface. A name
// added or dropped here is a change of the public API (README "Package"), never an accident.

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
};

const errors = [
  'ArtifactStorageError', 'AttemptsExhaustedError', 'ConfigError', 'ConflictError', 'DataDirLockedError', 'DecryptError', 'DuplicateIntentError',
  'ExecutionInterruptedError', 'ForbiddenError', 'InvalidIntentError', 'InvalidRealmResultError', 'InvalidRequestError',
  'KeyDestroyedError', 'KeyUnavailableError',
  'LimitExceededError', 'MissingPackageError', 'NonRetryableError', 'NotFoundError', 'PolicyConfigError', 'RealmDefinitionError',
  'RealmHandlerError', 'RealmTimeoutError', 'RenderingTooLargeError', 'RuntimeClosedError', 'StoreError', 'SymphainyError', 'UnauthorizedError',
  'UnknownIntentError', 'WaitTimeoutError', 'isSymphainyError',
  'ApprovalTimeoutError', 'BudgetExceededError', 'InvalidUsageError', 'StepSequenceError',
];

const surface: Record<string, string[]> = {
  '.': [
    ...errors,
    'ANY_TENANT', 'DEFAULT_CACHE_TTL_SECONDS', 'DEFAULT_POLICY', 'DEFAULT_RETRY_POLICY', 'ExecutionStatus', 'FsBlobStore',
    'MATERIALIZATION_DECISIONS', 'MVP_POLICY_OVERRIDE', 'MaterializationDecision', 'PLATFORM_NATIVE_TYPES', 'POLICY_LAYERS',
    'PolicyLayer', 'Rendering', 'WalRecordType', 'compileMaterializationPolicy', 'compileRetryPolicy', 'compileRuntimeOptions', 'createRuntime',
    'defineRealm', 'formatExplanation', 'isRealm', 'loadPlatformPolicy', 'loadRealmModule', 'loadRuntimeConfig',
    'loadSolutionConfig', 'parsePlatformPolicy', 'parsePlatformPolicyYaml', 'parseRuntimeConfigYaml', 'parseSolutionConfig',
    'parseSolutionConfigYaml', 'rendering', 'startTracing', 'validateGovernanceRules',
  ],
  './http': ['DEFAULT_HTTP_LIMITS', 'DEFAULT_HTTP_TIMEOUTS', 'DEFAULT_MAX_CONNECTIONS', 'PROBLEM_TYPES', 'createHttpServer'],
  './postgres': ['PgDb'],
  './s3': ['S3BlobStore', 'parseS3Url'],
  './redis': ['RedisCache'],
  './nats': ['KEY_IDS_HEADER', 'NatsEventSink', 'eventSubject', 'openEmbeddedKeyring', 'openEventMessage'],
  './testing': ['FaultPoint', 'createMemoryRuntime'],
  './examples': ['exampleRealms', 'examplesDir', 'journey', 'mockModel', 'mvpPolicyPath', 'outcomes', 'platformPolicyPath', 'publishing', 'solution'],
  './ai': ['generateTextStep', 'streamTextStep', 'usageOf'],
  './langgraph': ['SymphainyCheckpointSaver'],
};

/** The source file behind an export's compiled path: dist/src/x/y.js → src/x/y.ts. */
function sourceOf(target: string | { default: string }): string {
  const file = typeof target === 'string' ? target : target.default;
  return new URL(`../../${file.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')}`, import.meta.url).href;
}

test('every entry point of the package is listed here, and each exports exactly its listed values', async () => {
  const entries = Object.keys(pkg.exports).filter((k) => k !== './package.json');
  assert.deepEqual(entries.sort(), Object.keys(surface).sort(), 'package.json exports and this list differ');
  for (const entry of entries) {
    const mod = (await import(sourceOf(pkg.exports[entry]!))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(mod).sort(), [...surface[entry]!].sort(), `the values exported by 'symphainy${entry === '.' ? '' : entry.slice(1)}'`);
  }
});

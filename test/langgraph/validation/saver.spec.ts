// Run by validation.test.ts in a vitest child process: LangGraph's official checkpoint saver suite
// (@langchain/langgraph-checkpoint-validation) against SymphainyCheckpointSaver, on the driver
// SYMPHAINY_TEST_DRIVER selects. Each checkpointer the suite creates gets a tenant of its own: the
// suite's isolation between instances is the saver's tenant isolation.
import { randomUUID } from 'node:crypto';
import { validate } from '@langchain/langgraph-checkpoint-validation';
import { SymphainyCheckpointSaver } from '../../../src/langgraph/index.ts';
import { parseSolutionConfig } from '../../../src/index.ts';
import { testRuntime, type TestRuntime } from '../../support/test-runtime.ts';

let t: TestRuntime | undefined;

validate({
  checkpointerName: 'symphainy',
  beforeAllTimeout: 60_000,
  async beforeAll() {
    t = await testRuntime({ solutionConfig: parseSolutionConfig({ materialization_policy: { checkpoint: 'persist' } }) });
  },
  async afterAll() {
    await t?.close();
  },
  createCheckpointer() {
    return new SymphainyCheckpointSaver(t!.runtime, { tenantId: `validation-${randomUUID()}` });
  },
});

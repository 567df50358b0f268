import { tenantIsolation, type Migration } from './migration.ts';

/** Migrations 15–20: retries, durable steps, usage, checkpoints, trace context, data keys. New migrations go here, at the end. */
export const LATER_MIGRATIONS: readonly Migration[] = [
  {
    version: 15,
    name: 'retry policy: dead executions, backoff, attempt budgets; leases for direct executions',
    sql: `
      -- dead: the retry policy's attempts are used up (terminal until an operator retries it).
      ALTER TABLE symphainy.executions DROP CONSTRAINT executions_status_check;
      ALTER TABLE symphainy.executions
        ADD CONSTRAINT executions_status_check CHECK (status IN ('queued', 'running', 'completed', 'failed', 'dead'));
      ALTER TABLE symphainy.executions
        -- A queued execution is not claimed before this (database clock); NULL: at once.
        ADD COLUMN available_at timestamptz,
        -- The compiled retry policy the execution runs under (recorded when accepted).
        ADD COLUMN retry_policy jsonb,
        -- Attempts made before the last 'executions retry': the policy counts attempts after it.
        ADD COLUMN retry_base   integer NOT NULL DEFAULT 0,
        -- The length of the current holder's lease, in milliseconds.
        ADD COLUMN lease_ms     integer;
      -- Claims take queued executions in the order they were accepted.
      CREATE INDEX executions_claimable ON symphainy.executions ((COALESCE(submitted_at, started_at))) WHERE status = 'queued';
      -- An execution inserted already leased (run directly) gets its expiry from the database clock.
      CREATE FUNCTION symphainy.lease_on_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF NEW.lease_owner IS NOT NULL AND NEW.lease_ms IS NOT NULL AND NEW.lease_expires_at IS NULL THEN
          NEW.lease_expires_at := now() + NEW.lease_ms * interval '1 millisecond';
        END IF;
        RETURN NEW;
      END
      $fn$;
      CREATE TRIGGER executions_lease_on_insert BEFORE INSERT ON symphainy.executions
        FOR EACH ROW EXECUTE FUNCTION symphainy.lease_on_insert();
    `,
  },
  {
    version: 16,
    name: 'durable steps: the step journal, signals, the waiting status',
    sql: `
      -- waiting: suspended in ctx.sleep / waitFor / approval; holds no lease, resumed at available_at.
      ALTER TABLE symphainy.executions DROP CONSTRAINT executions_status_check;
      ALTER TABLE symphainy.executions
        ADD CONSTRAINT executions_status_check CHECK (status IN ('queued', 'running', 'waiting', 'completed', 'failed', 'dead'));
      CREATE INDEX executions_waking ON symphainy.executions (available_at) WHERE status = 'waiting';
      -- One row per step (or wait) of an execution, in the order the handler reached it (seq from 0).
      -- status done: result journaled (replayed, never run again); waiting: a wait not yet resolved.
      CREATE TABLE symphainy.execution_steps (
        tenant_id    text        NOT NULL,
        execution_id text        NOT NULL REFERENCES symphainy.executions (execution_id) ON DELETE CASCADE,
        seq          integer     NOT NULL,
        name         text        NOT NULL,
        occurrence   integer     NOT NULL,
        kind         text        NOT NULL CHECK (kind IN ('step', 'sleep', 'signal', 'approval')),
        status       text        NOT NULL CHECK (status IN ('done', 'waiting')),
        result       jsonb,
        result_type  text        NOT NULL,
        -- Summary, timeout and onTimeout of an approval; what a wait waits for.
        detail       jsonb,
        -- A wait's timer (database clock): the execution is resumed then; NULL: only a signal resumes it.
        wake_at      timestamptz,
        recorded_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (execution_id, seq)
      );
      CREATE INDEX execution_steps_waiting ON symphainy.execution_steps (tenant_id, kind) WHERE status = 'waiting';
      ${tenantIsolation('execution_steps')}
      -- Signals (and approval decisions) sent to an execution; kept until a wait consumes them.
      CREATE TABLE symphainy.execution_signals (
        signal_id    text        PRIMARY KEY,
        tenant_id    text        NOT NULL,
        execution_id text        NOT NULL REFERENCES symphainy.executions (execution_id) ON DELETE CASCADE,
        name         text        NOT NULL,
        data         jsonb,
        sent_by      text,
        sent_at      timestamptz NOT NULL DEFAULT now(),
        consumed_seq integer
      );
      CREATE INDEX execution_signals_open ON symphainy.execution_signals (execution_id, name, sent_at) WHERE consumed_seq IS NULL;
      ${tenantIsolation('execution_signals')}
    `,
  },
  {
    version: 17,
    name: 'model usage per execution, and the stream chunks of running executions',
    sql: `
      -- One row per ctx.recordUsage: tokens and cost a model call spent. Kept after the execution
      -- ends (money was spent either way); budgets sum it per execution and per tenant per day.
      CREATE TABLE symphainy.model_usage (
        seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id     text    NOT NULL,
        execution_id  text    NOT NULL,
        intent_type   text    NOT NULL,
        model         text    NOT NULL,
        input_tokens  bigint  NOT NULL CHECK (input_tokens >= 0),
        output_tokens bigint  NOT NULL CHECK (output_tokens >= 0),
        -- US dollars; NULL when the caller did not know the price.
        cost_usd      numeric CHECK (cost_usd >= 0),
        -- The database's clock: the day of a per-tenant daily budget is the database's UTC day.
        recorded_at   timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX model_usage_execution ON symphainy.model_usage (execution_id);
      CREATE INDEX model_usage_tenant_day ON symphainy.model_usage (tenant_id, recorded_at);
      -- Partial output of running executions (ctx.emit), read by GET /v1/executions/:id/stream;
      -- deleted when the execution ends unless the policy keeps result type 'stream'.
      CREATE TABLE symphainy.stream_chunks (
        seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id     text  NOT NULL,
        execution_id  text  NOT NULL,
        chunk         jsonb NOT NULL,
        emitted_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX stream_chunks_execution ON symphainy.stream_chunks (execution_id, seq);
      ${['model_usage', 'stream_chunks'].map(tenantIsolation).join('\n')}
    `,
  },
  {
    version: 18,
    name: 'LangGraph checkpoints, their channel values and pending writes, per tenant; legal holds per thread',
    sql: `
      -- One row per stored checkpoint (the materialization policy decided persist or cache; discarded
      -- ones have no row). checkpoint and metadata are the encoded content (checkpoints/checkpoint-content.ts);
      -- channel_versions stays readable so channel values can be joined and pruned without decoding.
      CREATE TABLE symphainy.checkpoints (
        tenant_id            text        NOT NULL,
        thread_id            text        NOT NULL,
        checkpoint_ns        text        NOT NULL DEFAULT '',
        -- uuid6 ids sort by time in byte order (COLLATE "C"): newest first is ORDER BY checkpoint_id DESC.
        checkpoint_id        text COLLATE "C" NOT NULL,
        parent_checkpoint_id text,
        channel_versions     jsonb       NOT NULL,
        checkpoint           bytea       NOT NULL,
        metadata             bytea       NOT NULL,
        -- sha256 of 'key=value' for the metadata's and config's top-level values: erasure by subject finds threads without decoding.
        subject_hashes       text[]      NOT NULL DEFAULT '{}',
        decision             text        NOT NULL CHECK (decision IN ('persist', 'cache')),
        -- persist with retention: the sweep deletes it after (database clock).
        retain_until         timestamptz,
        -- cache: gone (unreadable, then swept) after.
        expires_at           timestamptz,
        created_at           timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, thread_id, checkpoint_ns, checkpoint_id)
      );
      CREATE INDEX checkpoints_retention ON symphainy.checkpoints (retain_until) WHERE retain_until IS NOT NULL;
      CREATE INDEX checkpoints_expiry ON symphainy.checkpoints (expires_at) WHERE expires_at IS NOT NULL;
      -- A channel's value at one version, shared by every checkpoint of the thread that has that version.
      CREATE TABLE symphainy.checkpoint_blobs (
        tenant_id     text  NOT NULL,
        thread_id     text  NOT NULL,
        checkpoint_ns text  NOT NULL DEFAULT '',
        channel       text  NOT NULL,
        version       text  NOT NULL,
        -- NULL: the channel was empty at that version.
        blob          bytea,
        PRIMARY KEY (tenant_id, thread_id, checkpoint_ns, channel, version)
      );
      -- Writes of a checkpoint's tasks not yet folded into a checkpoint (pending writes).
      CREATE TABLE symphainy.checkpoint_writes (
        tenant_id     text    NOT NULL,
        thread_id     text    NOT NULL,
        checkpoint_ns text    NOT NULL DEFAULT '',
        checkpoint_id text COLLATE "C" NOT NULL,
        task_id       text COLLATE "C" NOT NULL,
        idx           integer NOT NULL,
        channel       text    NOT NULL,
        task_path     text COLLATE "C" NOT NULL DEFAULT '',
        value         bytea   NOT NULL,
        -- Writes may arrive before their checkpoint commits; the sweep removes orphans only past a grace period.
        written_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
      );
      -- A legal hold on a thread: nothing of it is pruned, swept, erased or deleted until released.
      CREATE TABLE symphainy.checkpoint_holds (
        tenant_id text        NOT NULL,
        thread_id text        NOT NULL,
        reason    text        NOT NULL,
        held_at   timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, thread_id)
      );
      ${['checkpoints', 'checkpoint_blobs', 'checkpoint_writes', 'checkpoint_holds'].map(tenantIsolation).join('\n')}
    `,
  },
  {
    version: 19,
    name: 'the trace context of executions, and the traces that carried content',
    sql: `
      -- The W3C trace an execution's spans belong to: a queued execution keeps its traceparent so the
      -- worker that claims it continues the caller's trace.
      ALTER TABLE symphainy.executions ADD COLUMN trace_id text;
      ALTER TABLE symphainy.executions ADD COLUMN traceparent text;
      -- Traces whose spans carried this execution's content (a policy's trace: include): the runtime
      -- cannot delete spans from a tracing backend, so erasure names these trace ids for an operator to purge.
      ALTER TABLE symphainy.executions ADD COLUMN content_trace_ids text[] NOT NULL DEFAULT '{}';
    `,
  },
  {
    version: 20,
    name: 'the data keys covering each execution, for erasure by key',
    sql: `
      -- With encryption on, an execution's content is sealed under its cover's keys (tenant, session,
      -- declared subjects): their ids (opaque, keyed names) let an erasure find what a destroyed key
      -- covered without reading any content. NULL: written with encryption off.
      ALTER TABLE symphainy.executions ADD COLUMN key_ids text[];
      CREATE INDEX executions_key_ids ON symphainy.executions USING gin (key_ids);
    `,
  },
];

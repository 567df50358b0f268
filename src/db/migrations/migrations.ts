/**
 * The store's schema, as an ordered list of plain-SQL migrations. Applied in
 * order, each once, recorded in `symphainy.schema_migrations`. Plain
 * PostgreSQL only: the same statements run on PGlite and on a server.
 * Never edit a released migration; add a new one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'core: state surface, write-ahead log, outbox, artifact index, cache',
    sql: `
      -- State surface: one row per execution, holding the platform memory
      -- (semantic payloads and artifact references) and the recorded result.
      CREATE TABLE symphainy.executions (
        execution_id   text PRIMARY KEY,
        intent_id      text NOT NULL,
        tenant_id      text NOT NULL,
        session_id     text NOT NULL,
        intent_type    text NOT NULL,
        realm          text NOT NULL,
        status         text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
        parameters     jsonb NOT NULL,
        state          jsonb NOT NULL DEFAULT '{}'::jsonb,
        result         jsonb,
        error          jsonb,
        policy_version text NOT NULL,
        intent_created_at timestamptz NOT NULL,
        started_at     timestamptz NOT NULL,
        finished_at    timestamptz,
        -- Intent ids are the tenant's: one tenant can neither see nor block another's.
        UNIQUE (tenant_id, intent_id)
      );
      CREATE INDEX executions_tenant_started ON symphainy.executions (tenant_id, started_at DESC);
      CREATE INDEX executions_running ON symphainy.executions (status) WHERE status = 'running';

      -- Write-ahead log: every intent, state transition and governance decision, in order.
      CREATE TABLE symphainy.wal (
        seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id    text NOT NULL,
        execution_id text,
        intent_id    text,
        record_type  text NOT NULL,
        payload      jsonb NOT NULL,
        recorded_at  timestamptz NOT NULL
      );
      CREATE INDEX wal_execution ON symphainy.wal (execution_id, seq);
      CREATE INDEX wal_tenant ON symphainy.wal (tenant_id, seq);

      -- Transactional outbox: events written with the state change, published after commit.
      CREATE TABLE symphainy.outbox (
        seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id     text NOT NULL UNIQUE,
        tenant_id    text NOT NULL,
        session_id   text NOT NULL,
        execution_id text,
        event_type   text NOT NULL,
        source       text NOT NULL CHECK (source IN ('realm', 'runtime')),
        payload      jsonb NOT NULL,
        created_at   timestamptz NOT NULL,
        published_at timestamptz
      );
      CREATE INDEX outbox_unpublished ON symphainy.outbox (seq) WHERE published_at IS NULL;
      CREATE INDEX outbox_execution ON symphainy.outbox (execution_id, seq);

      -- Artifact index: persisted artifacts, their decision and lineage; bytes live in the blob store.
      CREATE TABLE symphainy.artifacts (
        artifact_id    text PRIMARY KEY,
        tenant_id      text NOT NULL,
        session_id     text NOT NULL,
        execution_id   text NOT NULL REFERENCES symphainy.executions (execution_id),
        artifact_key   text NOT NULL,
        result_type    text NOT NULL,
        decision       text NOT NULL,
        layer          text NOT NULL,
        reason         text NOT NULL,
        policy_version text NOT NULL,
        storage_path   text NOT NULL,
        size_bytes     bigint NOT NULL,
        renderings     jsonb NOT NULL,
        lineage        jsonb NOT NULL,
        created_at     timestamptz NOT NULL,
        UNIQUE (execution_id, artifact_key)
      );
      CREATE INDEX artifacts_tenant_created ON symphainy.artifacts (tenant_id, created_at DESC);

      -- Embedded cache tier for 'cache' decisions: gone once expires_at passes.
      CREATE TABLE symphainy.cache_entries (
        cache_id       text PRIMARY KEY,
        tenant_id      text NOT NULL,
        session_id     text NOT NULL,
        execution_id   text NOT NULL,
        artifact_key   text NOT NULL,
        result_type    text NOT NULL,
        renderings     jsonb NOT NULL,
        decision       jsonb NOT NULL,
        lineage        jsonb NOT NULL,
        created_at     timestamptz NOT NULL,
        expires_at     timestamptz NOT NULL,
        UNIQUE (tenant_id, session_id, execution_id, artifact_key)
      );
      CREATE INDEX cache_entries_session ON symphainy.cache_entries (tenant_id, session_id);
      CREATE INDEX cache_entries_expiry ON symphainy.cache_entries (expires_at);
    `,
  },
  {
    version: 2,
    name: 'queued executions with worker leases; outbox relay leases',
    sql: `
      -- Submitted intents wait as 'queued' executions until a worker claims one.
      ALTER TABLE symphainy.executions DROP CONSTRAINT executions_status_check;
      ALTER TABLE symphainy.executions
        ADD CONSTRAINT executions_status_check CHECK (status IN ('queued', 'running', 'completed', 'failed'));
      ALTER TABLE symphainy.executions ALTER COLUMN started_at DROP NOT NULL;
      ALTER TABLE symphainy.executions
        ADD COLUMN submitted_at     timestamptz,
        -- The worker running a claimed execution and until when its claim holds (database clock);
        -- an expired claim is taken over by another worker. attempts counts claims.
        ADD COLUMN lease_owner      text,
        ADD COLUMN lease_expires_at timestamptz,
        ADD COLUMN attempts         integer NOT NULL DEFAULT 0;
      CREATE INDEX executions_queued ON symphainy.executions (submitted_at) WHERE status = 'queued';
      CREATE INDEX executions_leased ON symphainy.executions (lease_expires_at) WHERE status = 'running' AND lease_owner IS NOT NULL;

      -- Several relays share the outbox: each leases a batch before publishing it.
      ALTER TABLE symphainy.outbox
        ADD COLUMN lease_owner      text,
        ADD COLUMN lease_expires_at timestamptz;
    `,
  },
  {
    version: 3,
    name: 'tenants and API keys; stable paging keys; outbox commit order for live event streams',
    sql: `
      -- Tenants known to the HTTP API, and their API keys (only a sha256 of each key is kept).
      CREATE TABLE symphainy.tenants (
        tenant_id  text PRIMARY KEY,
        created_at timestamptz NOT NULL
      );
      CREATE TABLE symphainy.api_keys (
        key_id     text PRIMARY KEY,
        tenant_id  text NOT NULL REFERENCES symphainy.tenants (tenant_id),
        key_sha256 text NOT NULL,
        created_at timestamptz NOT NULL,
        revoked_at timestamptz
      );
      CREATE INDEX api_keys_tenant ON symphainy.api_keys (tenant_id);

      -- Executions are paged newest first by when they were accepted, which never changes
      -- (started_at of a queued execution is set later, when a worker claims it).
      CREATE INDEX executions_tenant_accepted
        ON symphainy.executions (tenant_id, (COALESCE(submitted_at, started_at)) DESC, execution_id DESC);
      CREATE INDEX artifacts_tenant_paging ON symphainy.artifacts (tenant_id, created_at DESC, artifact_id DESC);

      -- The writing transaction of each event: a reader that only takes events of transactions
      -- older than every running one (pg_snapshot_xmin) never skips one that commits late.
      ALTER TABLE symphainy.outbox ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id();
      CREATE INDEX outbox_tenant_commit_order ON symphainy.outbox (tenant_id, tx_id, seq);
    `,
  },
  {
    version: 4,
    name: 'row-level security on tenant tables, keyed by the symphainy.tenant setting',
    sql: `
      -- Each tenant table admits only the rows of the tenant its transaction set in
      -- symphainy.tenant (set_config(..., true)), or of every tenant when it is '*'.
      -- Unset (NULL) or reset after a transaction (''), nothing is visible or writable:
      -- closed by default.
      -- FORCE: the tables' owner is held to it too. Superusers and BYPASSRLS roles are not.
      -- The platform tables (tenants, api_keys, schema_migrations) are read before a tenant is known.
      ${['executions', 'wal', 'outbox', 'artifacts', 'cache_entries'].map(tenantIsolation).join('\n')}
    `,
  },
  {
    version: 5,
    name: 'policy definitions by version, so any recorded decision can be explained under its own policy',
    sql: `
      -- Every policy a runtime decided under, by its version (the hash in each decision record).
      CREATE TABLE symphainy.policy_versions (
        policy_version text PRIMARY KEY,
        definition     jsonb NOT NULL,
        first_used_at  timestamptz NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'hash-chained write-ahead log per tenant',
    sql: `
      -- Each record's hash covers the previous record's hash (per tenant), its fields and the
      -- hash of its content; the content is hashed separately so erasure can redact it.
      ALTER TABLE symphainy.wal
        ADD COLUMN content_sha256 text,
        ADD COLUMN prev_sha256    text,
        ADD COLUMN record_sha256  text;
      -- The end of each tenant's chain: locked by every append, so appends chain in commit order;
      -- its count and hash also reveal records deleted from the end.
      CREATE TABLE symphainy.wal_chain_heads (
        tenant_id   text PRIMARY KEY,
        last_sha256 text NOT NULL,
        records     bigint NOT NULL
      );
      ${tenantIsolation('wal_chain_heads')}
    `,
  },
  {
    version: 7,
    name: 'artifact retention, legal holds and tombstones',
    sql: `
      ALTER TABLE symphainy.artifacts
        -- From the deciding layer's retention; the sweeper deletes renderings after it.
        ADD COLUMN retain_until   timestamptz,
        -- A legal hold blocks every deleter until released.
        ADD COLUMN hold_reason    text,
        ADD COLUMN held_at        timestamptz,
        -- Renderings deleted: the row stays as a tombstone saying when and why.
        ADD COLUMN deleted_at     timestamptz,
        ADD COLUMN deleted_reason text,
        -- When its blobs were removed (after the tombstone commits; retried until done).
        ADD COLUMN purged_at      timestamptz;
      CREATE INDEX artifacts_expiring ON symphainy.artifacts (retain_until)
        WHERE deleted_at IS NULL AND retain_until IS NOT NULL;
      CREATE INDEX artifacts_unpurged ON symphainy.artifacts (deleted_at) WHERE deleted_at IS NOT NULL AND purged_at IS NULL;
    `,
  },
  {
    version: 8,
    name: 'policy activations',
    sql: `
      -- Policies made active with 'policy apply', newest last; a runtime started without a policy of
      -- its own uses the latest.
      CREATE TABLE symphainy.policy_activations (
        seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        policy_version text NOT NULL REFERENCES symphainy.policy_versions (policy_version),
        activated_at   timestamptz NOT NULL,
        retroactive    boolean NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'the solution an intent comes from',
    sql: `
      -- Picks the solution config an execution is decided under (also when a worker claims it later).
      ALTER TABLE symphainy.executions ADD COLUMN solution_id text;
    `,
  },
  {
    version: 10,
    name: 'WAL appends chained in the database, in one statement',
    sql: `
      -- Extends a tenant's hash chain by the given records (a JSON array of objects with
      -- execution_id, intent_id, record_type, payload, recorded_at and content_sha256) in one
      -- statement: the chain head is locked, each record hashed as wal-chain.ts recordSha256
      -- does, inserted, and the head moved. One statement has no read-then-write round trip,
      -- so it can be pipelined with the rest of its transaction. Runs as its caller, so
      -- row-level security applies.
      CREATE FUNCTION symphainy.wal_append(p_tenant text, p_records jsonb) RETURNS integer
      LANGUAGE plpgsql AS $fn$
      DECLARE
        prev text;
        h text;
        r jsonb;
        n integer := 0;
      BEGIN
        INSERT INTO symphainy.wal_chain_heads (tenant_id, last_sha256, records) VALUES (p_tenant, repeat('0', 64), 0)
        ON CONFLICT (tenant_id) DO UPDATE SET records = symphainy.wal_chain_heads.records
        RETURNING last_sha256 INTO prev;
        FOR r IN SELECT value FROM jsonb_array_elements(p_records) LOOP
          h := encode(sha256(convert_to(
                 prev || E'\\n' || p_tenant || E'\\n' || coalesce(r->>'execution_id', '') || E'\\n' ||
                 coalesce(r->>'intent_id', '') || E'\\n' || (r->>'record_type') || E'\\n' ||
                 (r->>'recorded_at') || E'\\n' || (r->>'content_sha256'), 'UTF8')), 'hex');
          INSERT INTO symphainy.wal (tenant_id, execution_id, intent_id, record_type, payload, recorded_at,
                                     content_sha256, prev_sha256, record_sha256)
          VALUES (p_tenant, r->>'execution_id', r->>'intent_id', r->>'record_type', r->'payload',
                  (r->>'recorded_at')::timestamptz, r->>'content_sha256', prev, h);
          prev := h;
          n := n + 1;
        END LOOP;
        UPDATE symphainy.wal_chain_heads SET last_sha256 = prev, records = records + n WHERE tenant_id = p_tenant;
        RETURN n;
      END
      $fn$;
    `,
  },
  {
    version: 11,
    name: 'small renderings stored in the database',
    sql: `
      -- Renderings up to the inline limit, content-addressed per tenant like blobs; written in the
      -- completion transaction with the artifact's index row (no file, no fsync of their own).
      CREATE TABLE symphainy.artifact_contents (
        tenant_id text  NOT NULL,
        sha256    text  NOT NULL,
        bytes     bytea NOT NULL,
        PRIMARY KEY (tenant_id, sha256)
      );
      ${tenantIsolation('artifact_contents')}
    `,
  },
  {
    version: 12,
    name: 'a statement can insist on how many rows it changed',
    sql: `
      -- Fails the statement (SQLSTATE SY001) unless it changed as many rows as expected, so a batch
      -- sent with its COMMIT in one round trip rolls back instead of committing a partial write.
      CREATE FUNCTION symphainy.expect_rows(actual bigint, expected bigint, what text) RETURNS bigint
      LANGUAGE plpgsql AS $fn$
      BEGIN
        IF actual <> expected THEN
          RAISE EXCEPTION '% : % of % rows', what, actual, expected USING ERRCODE = 'SY001';
        END IF;
        RETURN actual;
      END
      $fn$;
    `,
  },
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

/** Row-level security of one tenant table (migration 4): rows of the transaction's tenant, or all with '*'. */
function tenantIsolation(table: string): string {
  const own = "NULLIF(current_setting('symphainy.tenant', true), '') IN (tenant_id, '*')";
  return `ALTER TABLE symphainy.${table} ENABLE ROW LEVEL SECURITY;
      ALTER TABLE symphainy.${table} FORCE ROW LEVEL SECURITY;
      CREATE POLICY tenant_isolation ON symphainy.${table} USING (${own}) WITH CHECK (${own});`;
}

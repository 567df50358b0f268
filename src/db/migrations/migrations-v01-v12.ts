import { tenantIsolation, type Migration } from './migration.ts';

/** Migrations 1–12: the core store, tenancy and row-level security, governance, the chained WAL. */
export const CORE_MIGRATIONS: readonly Migration[] = [
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
];

-- Idempotency records (api.md §5): one per (organization, principal,
-- procedure, key), written in the same transaction as the business write it
-- guards, holding the outcome to replay. Kept at least 24 hours.
CREATE TABLE idempotency_keys (
  organization_id uuid NOT NULL REFERENCES organizations(id),
  principal_id    uuid NOT NULL,
  procedure       text NOT NULL,
  key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  fingerprint     text NOT NULL,
  output          jsonb,
  error           jsonb,
  trace_id        text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, principal_id, procedure, key),
  CHECK ((output IS NULL) <> (error IS NULL))
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
  USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
  WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid));
GRANT SELECT, INSERT ON idempotency_keys TO hestami_app;

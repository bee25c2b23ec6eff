-- Bulk quote imports (issue 10). A batch is one file imported into one
-- organization; its id is derived from the organization and the file's
-- SHA-256, so the same file imported twice names the same batch and the
-- primary key refuses the second (whatever the interleaving).
--
-- Each imported quote carries its provenance: the batch and the file row it
-- came from, and the external reference the file gave it. A reference is
-- unique per organization; without one, (batch, row) is what keeps a
-- re-run from writing the row twice.
CREATE TABLE quote_import_batches (
  id              uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id),
  content_hash    text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  file_name       text NOT NULL DEFAULT '' CHECK (length(file_name) <= 500),
  format          text NOT NULL CHECK (format IN ('CSV', 'JSONL')),
  status          text NOT NULL DEFAULT 'IMPORTED' CHECK (status IN ('IMPORTED', 'REVERTED')),
  rows_read       integer NOT NULL CHECK (rows_read >= 0),
  rows_written    integer NOT NULL CHECK (rows_written >= 0),
  rows_rejected   integer NOT NULL CHECK (rows_rejected >= 0),
  vendors_created integer NOT NULL DEFAULT 0 CHECK (vendors_created >= 0),
  created_by      uuid NOT NULL REFERENCES users(id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  reverted_at     timestamptz,
  reverted_by     uuid REFERENCES users(id),
  UNIQUE (organization_id, id),
  UNIQUE (organization_id, content_hash),
  CONSTRAINT quote_import_batches_reverted CHECK ((status = 'REVERTED') = (reverted_at IS NOT NULL))
);
CREATE INDEX quote_import_batches_org_idx ON quote_import_batches (organization_id, created_at, id);

ALTER TABLE quote_import_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE quote_import_batches FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON quote_import_batches
  USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
  WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid));

ALTER TABLE quotes
  ADD COLUMN external_ref    text CHECK (length(external_ref) BETWEEN 1 AND 200),
  ADD COLUMN import_batch_id uuid,
  ADD COLUMN import_row      integer CHECK (import_row >= 1),
  ADD CONSTRAINT quotes_import_batch_fk FOREIGN KEY (organization_id, import_batch_id)
    REFERENCES quote_import_batches (organization_id, id),
  ADD CONSTRAINT quotes_import_row_pair CHECK ((import_batch_id IS NULL) = (import_row IS NULL));
CREATE UNIQUE INDEX quotes_external_ref ON quotes (organization_id, external_ref) WHERE external_ref IS NOT NULL;
CREATE UNIQUE INDEX quotes_import_row ON quotes (organization_id, import_batch_id, import_row) WHERE import_batch_id IS NOT NULL;

GRANT SELECT, INSERT, UPDATE ON quote_import_batches TO hestami_app;
-- Only a batch revert deletes quotes (and their line items): it removes
-- exactly the rows a batch created, none of which was decided on (RLS
-- confines it to the tenant; the service refuses ACCEPTED ones).
GRANT DELETE ON quotes, quote_line_items TO hestami_app;

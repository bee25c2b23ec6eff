-- Property documents (domain.md §5): metadata here, content in the content
-- store (internal/document/content), addressed by its SHA-256 — so two
-- uploads of the same bytes share one blob but are two documents.
--
-- A version chain is the documents sharing chain_id (the first version's id),
-- numbered from 1; superseding inserts the next version and marks the old
-- one superseded, which stays readable.
--
-- Bindings: property, case and intent reference their tables by
-- (organization_id, id); hoa_context_id and vendor_id are plain uuids for
-- now (the HOA and vendor tables arrive in parallel migrations; the lead adds
-- their composite foreign keys once both have merged). property_id is also
-- derived from the case or intent when only one of those is given: it is what
-- a delegated agent's grant is checked against.
CREATE TABLE documents (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  chain_id         uuid NOT NULL,
  version          integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  supersedes_id    uuid,
  superseded_by    uuid,
  superseded_at    timestamptz,
  title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  category         text NOT NULL CHECK (category IN ('CC_AND_RS', 'ARCHITECTURAL_GUIDELINES', 'PERMIT', 'PRIOR_APPROVAL',
                     'CORRESPONDENCE', 'QUOTE', 'INVOICE', 'CONTRACT', 'PHOTO', 'OTHER')),
  visibility       text NOT NULL CHECK (visibility IN ('OWNER_AND_STAFF', 'STAFF_ONLY')),
  file_name        text NOT NULL DEFAULT '' CHECK (length(file_name) <= 255),
  media_type       text NOT NULL,
  size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
  sha256           text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  property_id      uuid,
  case_id          uuid,
  intent_id        uuid,
  hoa_context_id   uuid,
  vendor_id        uuid,
  review_status    text NOT NULL DEFAULT 'PENDING_REVIEW' CHECK (review_status IN ('PENDING_REVIEW', 'REVIEWED', 'REJECTED')),
  reviewed_by      uuid REFERENCES users(id),
  reviewed_at      timestamptz,
  review_notes     text NOT NULL DEFAULT '' CHECK (length(review_notes) <= 10000),
  -- Text extracted from text/plain and PDF content, bounded by the service.
  extracted_text   text NOT NULL DEFAULT '',
  search           tsvector GENERATED ALWAYS AS (
                     setweight(to_tsvector('english', title), 'A') || to_tsvector('english', extracted_text)) STORED,
  uploaded_by      uuid NOT NULL REFERENCES users(id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  UNIQUE (organization_id, chain_id, version),
  FOREIGN KEY (organization_id, property_id) REFERENCES properties (organization_id, id),
  FOREIGN KEY (organization_id, case_id) REFERENCES cases (organization_id, id),
  FOREIGN KEY (organization_id, intent_id) REFERENCES intents (organization_id, id),
  FOREIGN KEY (organization_id, supersedes_id) REFERENCES documents (organization_id, id),
  FOREIGN KEY (organization_id, superseded_by) REFERENCES documents (organization_id, id),
  CONSTRAINT documents_first_version CHECK ((version = 1) = (supersedes_id IS NULL)),
  CONSTRAINT documents_first_is_chain CHECK (version > 1 OR chain_id = id),
  CONSTRAINT documents_superseded CHECK ((superseded_by IS NULL) = (superseded_at IS NULL)),
  CONSTRAINT documents_reviewed CHECK ((review_status = 'PENDING_REVIEW') = (reviewed_by IS NULL AND reviewed_at IS NULL)),
  CONSTRAINT documents_bound CHECK (num_nonnulls(property_id, case_id, intent_id, hoa_context_id, vendor_id) > 0)
);
-- One successor per version: a chain never forks.
CREATE UNIQUE INDEX documents_supersedes_idx ON documents (supersedes_id) WHERE supersedes_id IS NOT NULL;
CREATE INDEX documents_org_created_idx ON documents (organization_id, created_at, id);
CREATE INDEX documents_chain_idx ON documents (organization_id, chain_id, version);
CREATE INDEX documents_property_idx ON documents (organization_id, property_id) WHERE property_id IS NOT NULL;
CREATE INDEX documents_case_idx ON documents (organization_id, case_id) WHERE case_id IS NOT NULL;
CREATE INDEX documents_search_idx ON documents USING gin (search);

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON documents
  USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
  WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid));

-- No DELETE: a document is superseded or rejected, never removed.
GRANT SELECT, INSERT, UPDATE ON documents TO hestami_app;

-- The decision ledger (domain.md §9): who decided what, why, with which
-- options and evidence, under which authority. Append-only and
-- hash-chained per organization (internal/decision's package doc specifies
-- the canonical encoding the hashes cover).
--
-- Append-only is a privilege, not a convention: the runtime role may only
-- read and insert these tables (no UPDATE, DELETE or TRUNCATE); outcomes,
-- corrections and supersessions are new entries that reference the one they
-- concern (refers_to + relation). Only the database owner can change a row,
-- and the hash chain is what shows that it did.
CREATE TABLE decisions (
  -- Chosen by the service: the id is part of the hashed content.
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  -- 1, 2, 3, … per organization, without gaps: a gap is a deleted entry.
  sequence         bigint NOT NULL CHECK (sequence >= 1),
  case_id          uuid,
  property_id      uuid,
  category         text NOT NULL CHECK (category IN ('VENDOR_SELECTION', 'APPROVAL', 'COST_AUTHORIZATION',
                     'SCHEDULING', 'ESCALATION', 'RESOLUTION', 'OTHER')),
  title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  summary          text NOT NULL CHECK (length(summary) BETWEEN 1 AND 4000),
  rationale        text NOT NULL CHECK (length(rationale) BETWEEN 1 AND 10000),
  -- [{label, pros[], cons[], chosen}] in the order they were given.
  options          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(options) = 'array'),
  -- Staff only; never shown to the owner side. The nonce keeps the audit
  -- digest an owner-side export carries from revealing a guessable detail.
  audit_detail     text NOT NULL DEFAULT '' CHECK (length(audit_detail) <= 10000),
  audit_nonce      text NOT NULL CHECK (audit_nonce ~ '^[0-9a-f]{32}$'),
  actor_kind       text NOT NULL CHECK (actor_kind IN ('HUMAN', 'AI', 'SYSTEM')),
  actor_id         uuid NOT NULL REFERENCES users(id),
  -- The authority used: the actor's roles in the organization, and the
  -- delegation grant that allowed a delegated agent.
  authority_roles  text[] NOT NULL CHECK (cardinality(authority_roles) >= 1),
  delegation_id    uuid,
  refers_to        uuid,
  relation         text CHECK (relation IN ('OUTCOME', 'CORRECTION', 'SUPERSESSION')),
  recorded_at      timestamptz NOT NULL,
  prev_hash        text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash             text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  UNIQUE (organization_id, id),
  UNIQUE (organization_id, sequence),
  FOREIGN KEY (organization_id, case_id) REFERENCES cases (organization_id, id),
  FOREIGN KEY (organization_id, property_id) REFERENCES properties (organization_id, id),
  FOREIGN KEY (organization_id, delegation_id) REFERENCES delegations (organization_id, id),
  FOREIGN KEY (organization_id, refers_to) REFERENCES decisions (organization_id, id),
  CONSTRAINT decisions_reference_has_relation CHECK ((refers_to IS NULL) = (relation IS NULL))
);
CREATE INDEX decisions_case_idx ON decisions (organization_id, case_id, sequence) WHERE case_id IS NOT NULL;
CREATE INDEX decisions_property_idx ON decisions (organization_id, property_id, sequence) WHERE property_id IS NOT NULL;

-- Evidence a decision cites, in the order given. ref_id points into the
-- table of its kind (cases, case_notes, decisions; documents, quotes,
-- hoa_rules and invoices as their domains land), so it has no foreign key:
-- the service checks that it exists in the same organization. internal
-- marks evidence only staff may see (an INTERNAL note): it is part of the
-- audit detail.
CREATE TABLE decision_evidence (
  organization_id uuid NOT NULL,
  decision_id     uuid NOT NULL,
  position        smallint NOT NULL CHECK (position >= 0),
  kind            text NOT NULL CHECK (kind IN ('CASE', 'NOTE', 'DOCUMENT', 'QUOTE', 'HOA_RULE', 'INVOICE', 'DECISION')),
  ref_id          uuid NOT NULL,
  internal        boolean NOT NULL,
  PRIMARY KEY (organization_id, decision_id, position),
  FOREIGN KEY (organization_id, decision_id) REFERENCES decisions (organization_id, id)
);
CREATE INDEX decision_evidence_ref_idx ON decision_evidence (organization_id, kind, ref_id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['decisions', 'decision_evidence'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
      WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))$p$, t);
  END LOOP;
END $$;

REVOKE ALL ON decisions, decision_evidence FROM hestami_app;
GRANT SELECT, INSERT ON decisions, decision_evidence TO hestami_app;
